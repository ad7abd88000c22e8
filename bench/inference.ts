/**
 * Inference figures for `npm run bench` (alone: `node dist/bench/inference.js`): frames/s at batch 1 and batch 4 on
 * the CPU, and the share of the wall time spent outside session.run, for the generated 640x640 model (see
 * inference-model.ts) on 1080p JPEGs. Prints figures; never asserts on timings.
 *
 * The loop is InferenceService.runModel's, through the same classes: DecodedFrame (JPEG decode on libuv's pool, a
 * batch's frames in parallel), letterboxBatch (off the event loop), OnnxWorker.run (ONNX Runtime in its worker
 * thread, the input transferred), YoloDetector.detect (decode + NMS). Like the service's BatchScheduler when every
 * camera has a fresh frame waiting, it runs one batch at a time, back to back: stages overlap where the service
 * overlaps them (within a batch) and nowhere else. Per frame, wall = a batch's wall / batch and inside = the
 * worker's `ms` (session.run) / batch; the outside share is 1 - sum(inside) / sum(wall).
 *
 * Environment: BENCH_INFERENCE_S (12; 0 skips): measured seconds per batch size, split over rounds that alternate
 * batch 1 and batch 4 so that a noisy spell hits both; BENCH_QUIET_MAX_S (60), as in run.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { relative } from 'node:path';
import type { ProviderChoice } from '../libs/detect/src/onnx/onnx-session';
import { OnnxWorker } from '../libs/detect/src/onnx/onnx-worker';
import { DEFAULT_PARAMS } from '../libs/detect/src/rules/params';
import { repoRoot } from './clip';
import { benchJpegs, type BenchJpeg } from './inference-frames';
import { writeBenchModel } from './inference-model';
import { ModelPath, type BatchTiming } from './inference-path';
import { printWhatIfs } from './inference-whatif';
import { machineBusySeconds, waitForQuiet } from './proc';
import { figure, fmt, note, percentile } from './report';

const GOAL_OUTSIDE_SHARE = 0.15;
const BATCHES = [1, 4] as const;
/** the service's default batch for a dynamic model (modelConfigSchema) */
const SERVICE_BATCH = 4;
const WARMUP_BATCHES = 3;
const ROUNDS = 3;

export interface InferenceBenchOptions {
  /** measured seconds per batch size (BENCH_INFERENCE_S) */
  seconds?: number;
  /** how long each window may wait for a quiet machine (BENCH_QUIET_MAX_S) */
  quietMaxMs?: number;
}

interface Window {
  batch: number;
  batches: number;
  frames: number;
  seconds: number;
  /** sums over the batches, ms */
  sum: Omit<BatchTiming, 'detections'> & { detections: number };
  walls: number[];
  /** CPU of this process (event loop, ONNX worker and its threads, libuv pool), cores */
  cores: number;
  /** CPU of everything else on the machine, cores */
  otherCores?: number;
}

function emptyWindow(batch: number): Window {
  return {
    batch,
    batches: 0,
    frames: 0,
    seconds: 0,
    sum: { decode: 0, letterbox: 0, runWall: 0, runInside: 0, detect: 0, wall: 0, detections: 0 },
    walls: [],
    cores: 0,
  };
}

/** Runs batches back to back for `ms` and adds them to `window`, with the CPU they took. */
async function measure(path: ModelPath, window: Window, ms: number): Promise<void> {
  const cpu0 = process.cpuUsage();
  const busy0 = machineBusySeconds();
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    const timing = await path.runBatch(window.batch);
    window.batches += 1;
    window.frames += window.batch;
    for (const key of Object.keys(window.sum) as (keyof Window['sum'])[]) window.sum[key] += timing[key];
    window.walls.push(timing.wall);
    elapsed = performance.now() - t0;
  }
  const seconds = elapsed / 1000;
  const cpu = process.cpuUsage(cpu0);
  const own = (cpu.user + cpu.system) / 1e6;
  const busy1 = machineBusySeconds();
  // weighted by time, so that the rounds add up
  window.cores = (window.cores * window.seconds + own) / (window.seconds + seconds);
  if (busy0 !== undefined && busy1 !== undefined) {
    const others = Math.max(0, busy1 - busy0 - own);
    window.otherCores = ((window.otherCores ?? 0) * window.seconds + others) / (window.seconds + seconds);
  }
  window.seconds += seconds;
}

function outsideShare(window: Window): number {
  return 1 - window.sum.runInside / window.sum.wall;
}

function printWindow(prefix: string, w: Window): void {
  const perFrame = (ms: number): number => ms / w.frames;
  const walls = [...w.walls].sort((a, b) => a - b);
  figure(`${prefix}.fps`, w.frames / w.seconds, `frames/s (${w.frames} frames in ${w.batches} batches, ${fmt(w.seconds)} s)`);
  figure(`${prefix}.decode`, perFrame(w.sum.decode), `ms/frame (JPEG 1080p -> BGR, DecodedFrame.bgr, the batch's frames in parallel)`, 2);
  figure(`${prefix}.letterbox`, perFrame(w.sum.letterbox), 'ms/frame (letterboxBatch -> NCHW float32)', 2);
  figure(`${prefix}.run_wall`, perFrame(w.sum.runWall), 'ms/frame (around OnnxWorker.run)', 2);
  figure(`${prefix}.run_inside`, perFrame(w.sum.runInside), "ms/frame (session.run: the worker's ms)", 2);
  figure(`${prefix}.transport`, perFrame(w.sum.runWall - w.sum.runInside), 'ms/frame (run_wall - run_inside: postMessage both ways, tensor wrap)', 2);
  figure(`${prefix}.detect`, perFrame(w.sum.detect), `ms/frame (YoloDetector.detect: decode + NMS, ${fmt(w.sum.detections / w.frames, 1)} detections/frame)`, 2);
  const stages = w.sum.decode + w.sum.letterbox + w.sum.runWall + w.sum.detect;
  figure(`${prefix}.other`, perFrame(w.sum.wall - stages), 'ms/frame (Mat release, awaits between stages)', 2);
  figure(`${prefix}.wall`, perFrame(w.sum.wall), `ms/frame (batch p50 ${fmt(percentile(walls, 50))} ms, p99 ${fmt(percentile(walls, 99))} ms)`, 2);
  figure(`${prefix}.outside_run_share`, outsideShare(w) * 100, '%');
  figure(`${prefix}.cpu`, w.cores, `cores of ${availableParallelism()}, ${fmt((w.cores * w.seconds * 1000) / w.frames, 1)} ms CPU/frame (this process: event loop, ONNX worker, libuv pool)`, 2);
  if (w.otherCores !== undefined) figure(`${prefix}.cpu_others`, w.otherCores, 'cores busy with processes outside the bench (noise)', 2);
  if (w.otherCores !== undefined && w.otherCores > 0.15) note(`${prefix}: shared the CPU with ${fmt(w.otherCores, 2)} cores of other work; run again on a quiet machine`);
}

/** Loads the model with `provider`, warms it up and measures batch 1 and batch 4 in alternating rounds. */
async function measureProvider(
  modelPath: string,
  provider: ProviderChoice,
  jpegs: readonly BenchJpeg[],
  options: Required<InferenceBenchOptions>,
  onLoaded: (worker: OnnxWorker) => void,
): Promise<{ path: ModelPath; windows: Window[] }> {
  const worker = await OnnxWorker.load(modelPath, { provider });
  onLoaded(worker);
  const path = new ModelPath(worker, jpegs);
  for (const batch of BATCHES) for (let i = 0; i < WARMUP_BATCHES; i++) await path.runBatch(batch);
  const windows = BATCHES.map(emptyWindow);
  for (let round = 0; round < ROUNDS; round++) {
    for (const window of windows) {
      const quiet = await waitForQuiet([], 0.15, options.quietMaxMs);
      if (quiet.waitedMs > 1500) note(`inference batch ${window.batch} round ${round + 1}: waited ${fmt(quiet.waitedMs / 1000)} s for a quiet machine (others ${fmt(quiet.others ?? NaN, 2)} cores)`);
      await measure(path, window, (options.seconds * 1000) / ROUNDS);
    }
  }
  return { path, windows };
}

function printComparison(prefix: string, windows: Window[]): void {
  const [one, four] = windows as [Window, Window];
  figure(`${prefix}.batch4_vs_batch1`, four.frames / four.seconds / (one.frames / one.seconds), 'x frames/s', 2);
}

/** nvidia-smi's name for the first GPU, or undefined when this machine has none. */
function gpuName(): string | undefined {
  if (!existsSync('/dev/nvidiactl')) return undefined;
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8', timeout: 10_000 }).split('\n')[0]?.trim() || 'NVIDIA GPU';
  } catch {
    return 'NVIDIA GPU (nvidia-smi failed)';
  }
}

export async function benchInference(options: InferenceBenchOptions = {}): Promise<void> {
  const settings: Required<InferenceBenchOptions> = {
    seconds: options.seconds ?? envSeconds('BENCH_INFERENCE_S', 12),
    quietMaxMs: options.quietMaxMs ?? envSeconds('BENCH_QUIET_MAX_S', 60) * 1000,
  };
  if (settings.seconds <= 0) {
    note('inference: skipped (BENCH_INFERENCE_S=0)');
    return;
  }
  const workers: OnnxWorker[] = [];
  try {
    const model = await writeBenchModel();
    const { dir, jpegs } = await benchJpegs();
    figure('inference.model', model.description);
    const meanKiB = jpegs.reduce((sum, jpeg) => sum + jpeg.data.length, 0) / jpegs.length / 1024;
    figure('inference.frames', `${jpegs.length} JPEGs ${jpegs[0]!.width}x${jpegs[0]!.height}`, `(testsrc2, ${fmt(meanKiB, 0)} KiB mean, ${relative(repoRoot(), dir)})`);
    note(
      'inference: InferenceService.runModel through the real classes, one batch at a time back to back (BatchScheduler with every slot full); ' +
        "stages overlap within a batch as in the service, batches do not; per frame: wall = batch wall / batch, inside = the worker's session.run ms / batch",
    );

    const cpu = await measureProvider(model.path, 'cpu', jpegs, settings, (worker) => workers.push(worker));
    figure('inference.provider', `${cpu.path.worker.info.provider.toUpperCase()}`, "(ONNX Runtime's default intra-op threads)");
    figure('inference.candidates', await cpu.path.candidates(), `per image at min confidence ${DEFAULT_PARAMS.minConfidence['*']} (the letterbox padding, 114/255, reaches it at every anchor: NMS gets a full sort)`, 0);
    for (const window of cpu.windows) printWindow(`inference.cpu.batch${window.batch}`, window);
    printComparison('inference.cpu', cpu.windows);
    const service = cpu.windows.find((window) => window.batch === SERVICE_BATCH)!;
    const share = outsideShare(service);
    const others = cpu.windows.filter((window) => window !== service).map((window) => `batch ${window.batch}: ${fmt(outsideShare(window) * 100)} %`);
    figure('inference.outside_run_share', share * 100, `% (CPU, batch ${SERVICE_BATCH}, the service's default; ${others.join(', ')})`);
    console.log(`goal: outside session.run < ${GOAL_OUTSIDE_SHARE * 100} %: ${share < GOAL_OUTSIDE_SHARE ? 'met' : 'not met'} (${fmt(share * 100)} % at batch ${SERVICE_BATCH} on CPU)`);
    if (share >= GOAL_OUTSIDE_SHARE) {
      note(`inference: over the goal; the same stages arranged otherwise, batch ${SERVICE_BATCH} (what-ifs, not what the service does)`);
      // half the main windows' time each: four arrangements
      await printWhatIfs('inference.cpu.whatif', cpu.path, SERVICE_BATCH, (settings.seconds * 1000) / 2, ROUNDS, settings.quietMaxMs);
    }

    const gpu = gpuName();
    // the CPU session is done: its memory and threads go before a GPU session starts
    await workers.pop()?.close();
    if (!gpu) {
      console.log('GPU: not measured (no GPU on this machine)');
    } else {
      try {
        const cuda = await measureProvider(model.path, 'cuda', jpegs, settings, (worker) => workers.push(worker));
        figure('inference.gpu', gpu, `(CUDA execution provider, ${cuda.path.worker.info.provider.toUpperCase()} session)`);
        for (const window of cuda.windows) printWindow(`inference.gpu.batch${window.batch}`, window);
        printComparison('inference.gpu', cuda.windows);
      } catch (error) {
        console.log(`GPU: not measured (${gpu} present, the CUDA provider did not load: ${(error as Error).message.split('\n')[0]})`);
      }
    }
  } catch (error) {
    figure('inference', 'failed', (error as Error).stack ?? String(error));
    process.exitCode = 1;
  } finally {
    for (const worker of workers) await worker.close();
  }
}

function envSeconds(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = Number(raw);
  return raw !== undefined && raw !== '' && Number.isFinite(value) && value >= 0 ? value : fallback;
}

if (require.main === module) {
  void benchInference().finally(() => setTimeout(() => process.exit(), 100).unref());
}
