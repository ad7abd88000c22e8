/**
 * `node dist/bench/clip-staging.js`: what writing a recording's frames through to its staged folder costs per frame
 * (StagedClipWriter: one envelope copy and one append per batch, on a file kept open). Prints figures, asserts none.
 *
 * Environment: BENCH_STAGING_FRAMES (3000), BENCH_STAGING_KB (frame size, 60: a 720p JPEG), BENCH_STAGING_FPS (the
 * pace frames are offered at, 300: ten 30 fps cameras in alarm at once), BENCH_STAGING_DIR (where to write; the
 * system's temp directory by default).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newAlarmId } from '@vigil/contracts';
import { type ClipFrame, StagedClips, type StagedClipWriter } from '@vigil/alarms';
import { figure, note } from './report';

async function main(): Promise<void> {
  const count = Number(process.env.BENCH_STAGING_FRAMES) || 3000;
  const bytes = (Number(process.env.BENCH_STAGING_KB) || 60) * 1024;
  const fps = Number(process.env.BENCH_STAGING_FPS) || 300;
  const root = await mkdtemp(join(process.env.BENCH_STAGING_DIR ?? tmpdir(), 'vigil-bench-staging-'));
  try {
    const data = Buffer.concat([Buffer.from([0xff, 0xd8]), randomBytes(bytes - 2)]);
    const frames = Array.from({ length: count }, (_, i) => ({ seq: i, ts: 1_700_000_000_000 + i * 33, width: 1280, height: 720, data }));
    const baseline = await offer(frames, fps);
    const writer = new StagedClips(root).writer({ id: newAlarmId(Date.now(), randomBytes(5)), camera: 'bench' });
    const run = await offer(frames, fps, writer);
    note(`${count} frames of ${bytes / 1024} KiB into ${root} (a writer behind by more than its bound leaves frames out: skipped)`);
    figure('staging.append_on_loop', run.onLoopUs / count, 'µs per frame on the event loop (append: queue; the envelope copy is in the write step)', 1);
    figure('staging.cpu_per_frame', (run.cpuUs - baseline.cpuUs) / count, 'µs CPU per frame (this process, writes on the libuv pool included, less the same pacing without a writer)', 1);
    figure('staging.offered', count / (run.wallMs / 1000), `frames/s offered (asked: ${fps})`, 0);
    figure('staging.skipped', writer.skipped, 'frames', 0);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Offers the frames at `fps` (to `writer`, or to nothing for the baseline); the CPU and event-loop time it took. */
async function offer(frames: ClipFrame[], fps: number, writer?: StagedClipWriter): Promise<{ cpuUs: number; onLoopUs: number; wallMs: number }> {
  let onLoopNs = 0n;
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (const [i, frame] of frames.entries()) {
    const before = process.hrtime.bigint();
    writer?.append([frame]);
    onLoopNs += process.hrtime.bigint() - before;
    // on schedule, as frames arrive from the bus
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + ((i + 1) * 1000) / fps - performance.now())));
  }
  await writer?.close();
  const used = process.cpuUsage(cpu);
  return { cpuUs: used.user + used.system, onLoopUs: Number(onLoopNs) / 1000, wallMs: performance.now() - started };
}

void main();
