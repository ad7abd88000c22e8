/**
 * Panorama figures for `npm run bench` (alone: `node dist/bench/stitch.js`): two 1280x720 views (the stitching medium
 * test's scene, one view under a perspective, so every frame really warps) -> a 2238x720 panorama, rendered from
 * pre-encoded JPEG pairs in a loop through @vigil/stitch's Panorama: frames/s, latency per panorama (p50, p99), CPU
 * per panorama (this process: event loop and libuv's pool, where every pixel operation runs), and the event loop's
 * delay meanwhile. One render in flight at a time, then two (as a service that starts the next pair while the last
 * encodes). Prints figures; never asserts on timings.
 *
 * Environment: BENCH_STITCH_S (8; 0 skips): measured seconds per window; BENCH_QUIET_MAX_S (60), as in run.ts.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Panorama } from '../libs/stitch/src';
import { makeStitchScene } from '../test/support/stitch-scene';
import { waitForQuiet } from './proc';
import { envSeconds, figure, fmt, note, percentile } from './report';

const FRAMES = 8;
const WARMUP_MS = 1000;

export interface StitchBenchOptions {
  /** measured seconds per window (BENCH_STITCH_S) */
  seconds?: number;
  quietMaxMs?: number;
}

interface Window {
  frames: number;
  wallMs: number;
  cpuMs: number;
  latencies: number[];
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** CPU of the main thread alone (the event loop), when /proc tells */
  loopCpuMs?: number;
  /** share of the wall time the event loop was busy */
  loopUtilization: number;
}

/** The main thread's CPU time so far, ms (Linux: its task's stat; Node reports only the whole process's). */
function mainThreadCpuMs(): number | undefined {
  try {
    const text = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // utime and stime (fields 14 and 15) in clock ticks, 100 per second on Linux
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

async function measure(panorama: Panorama, pairs: readonly [Buffer, Buffer][], inFlight: number, ms: number): Promise<Window> {
  const latencies: number[] = [];
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const cpu0 = process.cpuUsage();
  const loopCpu0 = mainThreadCpuMs();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  let next = 0;
  loop.enable();
  // `inFlight` loops, each rendering its next pair as soon as its last one is done
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() - t0 < ms) {
        const [first, second] = pairs[next++ % pairs.length]!;
        const start = performance.now();
        await panorama.render(first, second);
        latencies.push(performance.now() - start);
      }
    }),
  );
  loop.disable();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const loopCpu1 = mainThreadCpuMs();
  return {
    loopUtilization: performance.eventLoopUtilization(elu0).utilization,
    ...(loopCpu0 !== undefined && loopCpu1 !== undefined ? { loopCpuMs: loopCpu1 - loopCpu0 } : {}),
    frames: latencies.length,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    latencies: latencies.sort((a, b) => a - b),
    loopDelayP99Ms: loop.percentile(99) / 1e6,
    loopDelayMaxMs: loop.max / 1e6,
  };
}

function print(prefix: string, w: Window): void {
  const fps = (w.frames * 1000) / w.wallMs;
  figure(`${prefix}.fps`, fps, `panoramas/s (${w.frames} in ${fmt(w.wallMs / 1000)} s)`);
  figure(`${prefix}.latency_p50`, percentile(w.latencies, 50), 'ms (two JPEGs in -> panorama JPEG out)');
  figure(`${prefix}.latency_p99`, percentile(w.latencies, 99), 'ms');
  figure(`${prefix}.cpu_ms_per_panorama`, w.cpuMs / w.frames, `ms CPU/panorama (${fmt(w.cpuMs / w.wallMs, 2)} cores of ${availableParallelism()})`);
  figure(`${prefix}.cpu_ceiling`, (availableParallelism() * 1000 * w.frames) / w.cpuMs, `panoramas/s if all ${availableParallelism()} cores did only this`);
  if (w.loopCpuMs !== undefined) figure(`${prefix}.event_loop_cpu_ms_per_panorama`, w.loopCpuMs / w.frames, 'ms CPU/panorama on the main thread (the rest ran on the pool)', 2);
  figure(`${prefix}.event_loop_utilization`, w.loopUtilization * 100, '% of the wall time the event loop was busy');
  figure(`${prefix}.event_loop_delay_p99`, w.loopDelayP99Ms, `ms (max ${fmt(w.loopDelayMaxMs)} ms; includes the main thread waiting for a core the pool keeps busy)`);
}

export async function benchStitch(options: StitchBenchOptions = {}): Promise<void> {
  const seconds = options.seconds ?? envSeconds('BENCH_STITCH_S', 8);
  const quietMaxMs = options.quietMaxMs ?? envSeconds('BENCH_QUIET_MAX_S', 60) * 1000;
  if (seconds <= 0) {
    note('stitch: skipped (BENCH_STITCH_S=0)');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'vigil-bench-stitch-'));
  let panorama: Panorama | undefined;
  try {
    const scene = await makeStitchScene(dir, FRAMES);
    const pairs: [Buffer, Buffer][] = [];
    for (let frame = 0; frame < FRAMES; frame++) pairs.push([await scene.view('left', frame), await scene.view('perspective', frame)]);
    const t0 = performance.now();
    const outcome = await Panorama.calibrate(pairs[0]![0], pairs[0]![1]);
    const calibrateMs = performance.now() - t0;
    if (!outcome.ok) throw new Error(`calibration failed: ${outcome.reason}`);
    const { calibration } = outcome;
    figure('stitch.input', `2 x ${calibration.inputs[0].width}x${calibration.inputs[0].height} JPEG -> ${calibration.output.width}x${calibration.output.height}`, `(${FRAMES} pairs, mandelbrot scene, one view under a perspective)`);
    figure('stitch.calibrate', calibrateMs, `ms (${calibration.method}, ${calibration.inliers}/${calibration.matches} inliers; once per calibration)`, 0);
    panorama = await Panorama.load(calibration);
    await measure(panorama, pairs, 1, WARMUP_MS);
    for (const inFlight of [1, 2]) {
      const quiet = await waitForQuiet([], 0.15, quietMaxMs);
      note(`stitch in flight ${inFlight}: waited ${fmt(quiet.waitedMs / 1000)} s for a quiet machine (others ${fmt(quiet.others ?? NaN, 2)} cores)`);
      print(`stitch.in_flight_${inFlight}`, await measure(panorama, pairs, inFlight, seconds * 1000));
    }
  } catch (error) {
    figure('stitch', 'failed', (error as Error).message);
    process.exitCode = 1;
  } finally {
    panorama?.release();
    await rm(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  void benchStitch().finally(() => setTimeout(() => process.exit(), 100).unref());
}
