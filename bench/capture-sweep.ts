/**
 * The multi-camera sweep: N file cameras of 720p15 H.264 (decode + JPEG only, no viewer, no detection) in a whole
 * vigil, for each N: cores used, PSS summed over the vigil process tree, PSS per camera, delivered fps per camera
 * (min and mean) and the frames that fell short of 15 fps. PSS is steady on a shared machine; CPU and fps are not
 * (other work on the same cores shows in `cpu_others`).
 *
 * With `--detect motion` every camera also runs the motion detector, and the figures (`sweep.motion.<N>.*`) add
 * the frames it looked at: the latest frame of each camera wins, so a detector that cannot keep up looks at
 * fewer frames than ingest delivers, and that shortfall counts as much as the frames ingest lost.
 *
 * Alone: `node dist/bench/capture-sweep.js --cameras 1,8,16 [--window 15] [--warmup 5] [--detect motion]`;
 * `npm run bench` runs it with BENCH_SWEEP_CAMERAS (default 1,8,16,24) and, with motion, BENCH_SWEEP_MOTION_CAMERAS
 * (default 12,16). Extra environment of the vigil under test: `--env NAME=VALUE` (e.g.
 * `--env CAMERAS_PER_CAPTURE_PROCESS=1` for one process per camera).
 */
import { dirname, join } from 'node:path';
import { generateClip, startRedisServer, startVigil, type RedisServerHandle, type VigilHandle } from '../scripts/support';
import { repoRoot } from './clip';
import { metricSum } from './delivered';
import { cpuBetween, machineBusySeconds, procAvailable, sampleTrees, treePss, waitForQuiet } from './proc';
import { figure, fmt, note } from './report';

export const SWEEP_CLIP = { width: 1280, height: 720, fps: 15, seconds: 20, codec: 'h264' as const };

export interface SweepOptions {
  counts: number[];
  warmupMs: number;
  windowMs: number;
  /** waits up to this long for the rest of the machine to go quiet before each window */
  quietMaxMs: number;
  env?: Record<string, string>;
  /** run this detector on every camera */
  detect?: 'motion';
  echo?: boolean;
}

export interface SweepPoint {
  cameras: number;
  captureProcesses: number;
  cores: number;
  otherCores?: number;
  pssMb: number;
  /** PSS of the main process (the services) and of the capture processes, MB */
  pssMainMb: number;
  pssCaptureMb: number;
  fpsMin: number;
  fpsMean: number;
  /** frames short of cameras x 15 fps x window, % */
  shortPercent: number;
  /** with a detector: frames it looked at per camera (slowest camera, and the mean), and its shortfall, % */
  checkedFpsMin?: number;
  checkedFpsMean?: number;
  checkedShortPercent?: number;
  /** frames ingest dropped before Redis (vigil_ingest_frames_dropped_total), over the window */
  ingestDropped: number;
  restarts: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface CameraCounts {
  /** vigil_ingest_frames_total */
  ingested: Map<string, number>;
  /** vigil_inference_frames_total (all detectors) */
  checked: Map<string, number>;
}

async function countsByCamera(vigil: VigilHandle): Promise<CameraCounts> {
  const text = await (await fetch(`${vigil.url}/metrics`)).text();
  const ingested = new Map<string, number>();
  const checked = new Map<string, number>();
  for (const match of text.matchAll(/^vigil_ingest_frames_total\{camera="([^"]+)"\} (\S+)$/gm)) ingested.set(match[1]!, Number(match[2]));
  for (const match of text.matchAll(/^vigil_inference_frames_total\{camera="([^"]+)",[^}]*\} (\S+)$/gm)) {
    checked.set(match[1]!, (checked.get(match[1]!) ?? 0) + Number(match[2]));
  }
  return { ingested, checked };
}

/** Frames per second of each camera between two readings of a per-camera counter. */
function ratesOf(before: Map<string, number>, after: Map<string, number>, cameras: number, seconds: number): number[] {
  return Array.from({ length: cameras }, (_, i) => ((after.get(`sweep-${i}`) ?? 0) - (before.get(`sweep-${i}`) ?? 0)) / seconds);
}

/** The slowest and the mean of per-camera rates, and how far their sum falls short of cameras x 15 fps, %. */
function summarise(fps: number[]): { min: number; mean: number; short: number } {
  const mean = fps.reduce((a, b) => a + b, 0) / fps.length;
  return { min: Math.min(...fps), mean, short: Math.max(0, (100 * (SWEEP_CLIP.fps - mean)) / SWEEP_CLIP.fps) };
}

async function liveCount(vigil: VigilHandle): Promise<number> {
  const body = (await (await fetch(`${vigil.url}/api/cameras`)).json()) as { status?: { state?: string } | null }[];
  return body.filter((camera) => camera.status?.state === 'live').length;
}

async function measurePoint(clip: string, cameras: number, options: SweepOptions): Promise<SweepPoint> {
  let redis: RedisServerHandle | undefined;
  let vigil: VigilHandle | undefined;
  try {
    redis = await startRedisServer();
    vigil = await startVigil({
      redisUrl: redis.url,
      cameras: Array.from({ length: cameras }, (_, i) => ({
        id: `sweep-${i}`,
        url: clip,
        codec: 'h264' as const,
        ...(options.detect ? { detect: { detector: options.detect } } : {}),
      })),
      env: { MEDIA_ROOTS: dirname(clip), ...options.env },
      echo: options.echo,
      startTimeoutMs: 60_000,
    });
    const started = Date.now();
    while ((await liveCount(vigil)) < cameras) {
      if (Date.now() - started > 120_000) throw new Error(`only ${await liveCount(vigil)} of ${cameras} cameras live after 120 s`);
      await sleep(500);
    }
    await sleep(options.warmupMs);
    const root = vigil.child.process.pid!;
    if (options.quietMaxMs > 0) {
      const quiet = await waitForQuiet([root, redis.child.process.pid!], 0.15, options.quietMaxMs);
      note(`sweep ${cameras}: waited ${fmt(quiet.waitedMs / 1000)} s for a quiet machine (others ${fmt(quiet.others ?? NaN, 2)} cores)`);
    }
    const counts0 = await countsByCamera(vigil);
    const dropped0 = await metricSum({ vigil }, 'vigil_ingest_frames_dropped_total');
    const tree0 = sampleTrees([root]);
    const busy0 = machineBusySeconds();
    const t0 = performance.now();
    // PSS sampled through the window (a file camera reopens its pipeline at every loop): the mean counts
    const pss: { total: number; main: number; capture: number }[] = [];
    const end = t0 + options.windowMs;
    while (performance.now() < end) {
      await sleep(Math.min(2000, Math.max(0, end - performance.now())));
      const byLabel = treePss([root]);
      pss.push({ total: [...byLabel.values()].reduce((a, b) => a + b, 0), main: byLabel.get('vigil-main') ?? 0, capture: byLabel.get('capture') ?? 0 });
    }
    const seconds = (performance.now() - t0) / 1000;
    const tree1 = sampleTrees([root]);
    const busy1 = machineBusySeconds();
    const counts1 = await countsByCamera(vigil);
    const dropped = (await metricSum({ vigil }, 'vigil_ingest_frames_dropped_total')) - dropped0;
    const restarts = await metricSum({ vigil }, 'vigil_ingest_reconnects_total');
    const cpu = cpuBetween(tree0, tree1);
    const fps = summarise(ratesOf(counts0.ingested, counts1.ingested, cameras, seconds));
    const checked = options.detect ? summarise(ratesOf(counts0.checked, counts1.checked, cameras, seconds)) : undefined;
    const mean = (key: 'total' | 'main' | 'capture') => pss.reduce((a, b) => a + b[key], 0) / pss.length / 1024;
    return {
      cameras,
      captureProcesses: [...tree1.values()].filter((stat) => stat.label === 'capture').length,
      cores: cpu.total / seconds,
      otherCores: busy0 === undefined || busy1 === undefined ? undefined : Math.max(0, busy1 - busy0 - cpu.total) / seconds,
      pssMb: mean('total'),
      pssMainMb: mean('main'),
      pssCaptureMb: mean('capture'),
      fpsMin: fps.min,
      fpsMean: fps.mean,
      shortPercent: fps.short,
      checkedFpsMin: checked?.min,
      checkedFpsMean: checked?.mean,
      checkedShortPercent: checked?.short,
      ingestDropped: dropped,
      restarts,
    };
  } finally {
    await vigil?.stop();
    await redis?.stop();
  }
}

/** Runs the sweep, printing each point's figures as `sweep.<N>.<name>` and a table at the end. */
export async function benchCaptureSweep(options: SweepOptions): Promise<SweepPoint[]> {
  const clip = join(repoRoot(), '.vigil', 'bench', `testsrc2-${SWEEP_CLIP.height}p${SWEEP_CLIP.fps}-${SWEEP_CLIP.seconds}s-${SWEEP_CLIP.codec}.mp4`);
  await generateClip({ path: clip, ...SWEEP_CLIP });
  if (!procAvailable()) {
    note('sweep: no /proc, skipped');
    return [];
  }
  const work = options.detect ? `decode + JPEG + the ${options.detect} detector on every camera` : 'decode + JPEG, no detection';
  note(`sweep: ${SWEEP_CLIP.width}x${SWEEP_CLIP.height} ${SWEEP_CLIP.fps} fps H.264 file cameras, ${work}, no viewer; PSS is steady, CPU and fps depend on what else runs`);
  const family = options.detect ? `sweep.${options.detect}` : 'sweep';
  const points: SweepPoint[] = [];
  for (const cameras of options.counts) {
    try {
      const p = await measurePoint(clip, cameras, options);
      points.push(p);
      const prefix = `${family}.${cameras}`;
      figure(`${prefix}.capture_processes`, p.captureProcesses, '', 0);
      figure(`${prefix}.cores`, p.cores, 'cores (vigil tree)', 2);
      if (p.otherCores !== undefined) figure(`${prefix}.cpu_others`, p.otherCores, 'cores busy outside the bench (noise)', 2);
      figure(`${prefix}.pss`, p.pssMb, `MB (main ${fmt(p.pssMainMb, 0)}, capture processes ${fmt(p.pssCaptureMb, 0)})`, 0);
      figure(`${prefix}.pss_per_camera`, p.pssMb / cameras, 'MB', 1);
      figure(`${prefix}.fps_min`, p.fpsMin, 'frames/s (slowest camera)');
      figure(`${prefix}.fps_mean`, p.fpsMean, 'frames/s');
      figure(`${prefix}.short`, p.shortPercent, `% of ${SWEEP_CLIP.fps} fps x cameras not delivered`, 2);
      if (p.checkedShortPercent !== undefined) {
        figure(`${prefix}.checked_fps_min`, p.checkedFpsMin!, `frames/s the ${options.detect} detector looked at (slowest camera)`);
        figure(`${prefix}.checked_fps_mean`, p.checkedFpsMean!, 'frames/s');
        figure(`${prefix}.checked_short`, p.checkedShortPercent, `% of ${SWEEP_CLIP.fps} fps x cameras the detector did not look at`, 2);
      }
      figure(`${prefix}.ingest_dropped`, p.ingestDropped, 'frames dropped before Redis', 0);
      figure(`${prefix}.capture_restarts`, p.restarts, 'restarts (whole run)', 0);
    } catch (error) {
      figure(`${family}.${cameras}`, 'failed', (error as Error).message);
      process.exitCode = 1;
    }
  }
  console.log(
    [
      '| cameras | capture processes | cores | others | PSS MB | PSS/camera MB | fps min | fps mean | short % | checked fps min | checked short % |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
      ...points.map(
        (p) =>
          `| ${p.cameras} | ${p.captureProcesses} | ${fmt(p.cores, 2)} | ${fmt(p.otherCores ?? NaN, 2)} | ${fmt(p.pssMb, 0)} | ${fmt(p.pssMb / p.cameras, 1)} | ${fmt(p.fpsMin)} | ${fmt(p.fpsMean)} | ${fmt(p.shortPercent, 2)} | ${fmt(p.checkedFpsMin ?? NaN)} | ${fmt(p.checkedShortPercent ?? NaN, 2)} |`,
      ),
    ].join('\n'),
  );
  return points;
}

/** `--cameras 1,8,16`: whole numbers from 1 to 256. */
export function parseCounts(text: string): number[] {
  const counts = text.split(',').map((part) => Number(part.trim()));
  if (counts.length === 0 || counts.some((n) => !Number.isSafeInteger(n) || n < 1 || n > 256)) throw new Error(`--cameras: whole numbers 1-256 separated by commas, not ${JSON.stringify(text)}`);
  return counts;
}

/** `--detect motion`: the detectors a sweep can run without a model file. */
function parseDetect(text: string | undefined): 'motion' | undefined {
  if (text === undefined) return undefined;
  if (text !== 'motion') throw new Error(`--detect: only "motion", not ${JSON.stringify(text)}`);
  return text;
}

function argValues(name: string): string[] {
  const out: string[] = [];
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) if (argv[i] === name && argv[i + 1] !== undefined) out.push(argv[++i]!);
  return out;
}

if (require.main === module) {
  const number = (name: string, fallback: number): number => {
    const value = argValues(name).at(-1);
    return value === undefined ? fallback : Number(value);
  };
  const env = Object.fromEntries(
    argValues('--env').map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`--env NAME=VALUE, not ${JSON.stringify(pair)}`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
  benchCaptureSweep({
    counts: parseCounts(argValues('--cameras').at(-1) ?? '1,8,16'),
    warmupMs: number('--warmup', 5) * 1000,
    windowMs: number('--window', 15) * 1000,
    quietMaxMs: number('--quiet-max', 0) * 1000,
    env,
    detect: parseDetect(argValues('--detect').at(-1)),
    echo: process.env.BENCH_ECHO === '1',
  })
    .catch((error: Error) => {
      console.error(error.stack ?? error);
      process.exitCode = 1;
    })
    .finally(() => setTimeout(() => process.exit(), 100).unref());
}
