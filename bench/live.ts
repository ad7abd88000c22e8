/**
 * Live-view figures for `npm run bench` (alone: `node dist/bench/live.js [latency|fanout]`):
 *   - latency: 4 cameras of 720p25 (file cameras at their own pace), one viewer of all four, capture-to-client
 *     latency p50/p99 (goal on 2 cores: p50 < 30 ms, p99 < 80 ms);
 *   - fan-out: one 720p25 camera and more and more viewers (in BENCH_FANOUT_PROCESSES client processes, 2 by
 *     default), each of which must receive every frame; the ceiling is the most viewers for which fewer than 1 % of
 *     frames were missed and p99 stayed under BENCH_FANOUT_P99_MS (250).
 * Prints figures; never asserts on timings.
 *
 * Environment: BENCH_LIVE_WINDOW_S (10), BENCH_FANOUT_STEPS (100,200,400,800,1600,3200), BENCH_QUIET_MAX_S (60).
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { generateClip, startRedisServer, startVigil, type RedisServerHandle, type VigilHandle } from '../scripts/support';
import { repoRoot } from './clip';
import { metricSum } from './delivered';
import { Viewer } from './live-clients';
import { cpuBetween, procAvailable, sampleTrees, waitForQuiet } from './proc';
import { figure, fmt, note, percentile } from './report';

const CLIP_720P25 = { width: 1280, height: 720, fps: 25, seconds: 20, codec: 'h264' as const };
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function env(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return process.env[name] && Number.isFinite(value) && value > 0 ? value : fallback;
}

async function clip720p25(): Promise<string> {
  const path = join(repoRoot(), '.vigil', 'bench', `testsrc2-720p25-${CLIP_720P25.seconds}s-h264.mp4`);
  return generateClip({ path, ...CLIP_720P25 });
}

interface LiveStack {
  redis: RedisServerHandle;
  vigil: VigilHandle;
  stop(): Promise<void>;
}

async function startLive(cameras: string[], clip: string): Promise<LiveStack> {
  const redis = await startRedisServer();
  try {
    const vigil = await startVigil({
      redisUrl: redis.url,
      cameras: cameras.map((id) => ({ id, url: clip, codec: 'h264' as const })),
      env: { MEDIA_ROOTS: join(repoRoot(), '.vigil', 'bench'), SOCKETS_PER_ADDRESS_MAX: '100000' },
    });
    return { redis, vigil, stop: async () => (await vigil.stop().catch(() => undefined), await redis.stop()) };
  } catch (error) {
    await redis.stop();
    throw error;
  }
}

async function waitLive(stack: LiveStack, cameras: readonly string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = (await (await fetch(`${stack.vigil.url}/api/cameras`)).json()) as { id: string; status: { state: string } | null }[];
    if (cameras.every((id) => list.find((c) => c.id === id)?.status?.state === 'live')) return;
    if (Date.now() > deadline) throw new Error(`cameras not live within ${timeoutMs / 1000} s: ${JSON.stringify(list.map((c) => [c.id, c.status?.state]))}`);
    await sleep(500);
  }
}

function roots(stack: LiveStack): number[] {
  return [stack.vigil.child.process.pid, stack.redis.child.process.pid].filter((pid): pid is number => pid !== undefined);
}

export async function benchLatency(windowS = env('BENCH_LIVE_WINDOW_S', 10), quietMaxMs = env('BENCH_QUIET_MAX_S', 60) * 1000): Promise<void> {
  const cameras = ['lat-1', 'lat-2', 'lat-3', 'lat-4'];
  const stack = await startLive(cameras, await clip720p25());
  const viewer = new Viewer(stack.vigil.url, stack.vigil.adminToken);
  try {
    await waitLive(stack, cameras);
    await viewer.subscribe(cameras);
    await sleep(3000);
    await waitForQuiet(roots(stack), 0.15, quietMaxMs);
    const before = procAvailable() ? sampleTrees(roots(stack)) : undefined;
    viewer.counting = true;
    await sleep(windowS * 1000);
    viewer.counting = false;
    const cpu = before ? cpuBetween(before, sampleTrees(roots(stack))).total / windowS : undefined;
    const sorted = [...viewer.tally.latencies].sort((a, b) => a - b);
    figure('latency.4x720p25.fps', viewer.tally.frames / windowS / cameras.length, 'frames/s per camera at the viewer');
    // ts is stamped as the JPEG leaves the capture pipeline; a file camera is paced at the appsink, so its decode and
    // encode are done before its time comes, while a live camera's would add to these figures (see limit.*)
    figure('latency.4x720p25.p50', percentile(sorted, 50), 'ms capture to client (goal < 30)', 0);
    figure('latency.4x720p25.p99', percentile(sorted, 99), 'ms capture to client (goal < 80)', 0);
    figure('latency.4x720p25.max', sorted.at(-1) ?? NaN, 'ms', 0);
    figure('latency.4x720p25.missed', viewer.tally.missed, 'frames the viewer never got', 0);
    if (cpu !== undefined) figure('latency.4x720p25.cpu', cpu, 'cores (vigil tree + redis)', 2);
  } finally {
    viewer.close();
    await stack.stop();
  }
}

interface StepResult {
  viewers: number;
  fpsPerViewer: number;
  minFpsViewer: number;
  missedShare: number;
  p50: number;
  p99: number;
  publishDropped: number;
  cores?: number;
}

/** One fan-out step: `viewers` split over client processes, counted over the window. */
async function fanoutStep(stack: LiveStack, camera: string, viewers: number, processes: number, windowS: number): Promise<StepResult> {
  const entry = join(__dirname, 'fanout-client.js');
  const children = Array.from({ length: processes }, (_, i) => {
    const share = Math.floor(viewers / processes) + (i < viewers % processes ? 1 : 0);
    const child = fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.send({ type: 'job', job: { url: stack.vigil.url, token: stack.vigil.adminToken, camera, viewers: share } });
    return child;
  });
  const next = (child: (typeof children)[number], type: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const onMessage = (message: Record<string, unknown>): void => {
        if (message.type === type) (child.off('message', onMessage), resolve(message));
        else if (message.type === 'failed') (child.off('message', onMessage), reject(new Error(String(message.error))));
      };
      child.on('message', onMessage);
      child.once('exit', () => reject(new Error(`a client process exited before ${type}`)));
    });
  try {
    await Promise.all(children.map((c) => next(c, 'ready')));
    await sleep(2000);
    const dropped0 = await metricSum(stack, 'vigil_publish_frames_dropped_total');
    const before = procAvailable() ? sampleTrees(roots(stack)) : undefined;
    for (const c of children) c.send({ type: 'start' });
    await sleep(windowS * 1000);
    const tallies = children.map((c) => next(c, 'tally'));
    for (const c of children) c.send({ type: 'stop' });
    const results = (await Promise.all(tallies)) as unknown as { frames: number[]; missed: number; latencies: number[] }[];
    const cores = before ? cpuBetween(before, sampleTrees(roots(stack))).total / windowS : undefined;
    const frames = results.flatMap((r) => r.frames);
    const missed = results.reduce((s, r) => s + r.missed, 0);
    const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
    const total = frames.reduce((s, f) => s + f, 0);
    return {
      viewers,
      fpsPerViewer: total / frames.length / windowS,
      minFpsViewer: Math.min(...frames) / windowS,
      missedShare: missed / Math.max(1, missed + total),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      publishDropped: (await metricSum(stack, 'vigil_publish_frames_dropped_total')) - dropped0,
      cores,
    };
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  }
}

export async function benchFanout(windowS = env('BENCH_LIVE_WINDOW_S', 10)): Promise<void> {
  const steps = (process.env.BENCH_FANOUT_STEPS ?? '100,200,400,800,1600,3200').split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
  const processes = env('BENCH_FANOUT_PROCESSES', 2);
  const p99Limit = env('BENCH_FANOUT_P99_MS', 250);
  const camera = 'fan';
  const stack = await startLive([camera], await clip720p25());
  let ceiling = 0;
  let broke: string | undefined;
  try {
    await waitLive(stack, [camera]);
    for (const viewers of steps) {
      let r: StepResult;
      try {
        r = await fanoutStep(stack, camera, viewers, processes, windowS);
      } catch (error) {
        broke = `${viewers} viewers: ${(error as Error).message}`;
        break;
      }
      figure(`fanout.viewers_${viewers}`, r.fpsPerViewer, `frames/s per viewer (slowest ${fmt(r.minFpsViewer)}), missed ${fmt(r.missedShare * 100, 2)} %, p50 ${fmt(r.p50, 0)} ms, p99 ${fmt(r.p99, 0)} ms, publish dropped ${r.publishDropped}${r.cores === undefined ? '' : `, ${fmt(r.cores, 2)} cores vigil + redis`}`);
      if (r.missedShare >= 0.01 || r.p99 >= p99Limit) {
        broke = `${viewers} viewers: ${fmt(r.missedShare * 100, 2)} % missed, p99 ${fmt(r.p99, 0)} ms`;
        break;
      }
      ceiling = viewers;
    }
  } finally {
    await stack.stop();
  }
  figure('fanout.ceiling', ceiling, `viewers of one 720p25 camera, every frame each, p99 < ${p99Limit} ms, ${processes} client processes`, 0);
  if (broke) note(`fan-out broke at ${broke}`);
  else note(`fan-out held at every step (up to ${steps.at(-1)} viewers): the ceiling is higher`);
}

if (require.main === module) {
  const which = process.argv[2];
  (async () => {
    if (which !== 'fanout') await benchLatency();
    if (which !== 'latency') await benchFanout();
  })()
    .catch((error: Error) => {
      console.error(error.stack ?? error);
      process.exitCode = 1;
    })
    .finally(() => setTimeout(() => process.exit(), 100).unref());
}
