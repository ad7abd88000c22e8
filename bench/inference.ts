/**
 * Inference figures for `npm run bench` (alone: `node dist/bench/inference.js`): frames/s at batch 1 and batch 4 on
 * the CPU, and the share of the wall time spent outside session.run, for the generated 640x640 model (see
 * inference-model.ts) on 1080p JPEGs. Prints figures; never asserts on timings.
 *
 * What runs is the service's own path (see inference-path.ts): its DetectionStages through its BatchScheduler,
 * pipelined as the service has it, four cameras at 30 frames/s each feeding the latest-frame slots, no annotated-stream
 * viewer (so a camera publishes its raw frame every 1.5 s, to notice one). The outside share is 1 - sum(session.run, as the
 * worker timed it) / wall, the wall running from the first camera's frame until the last batch finished; latency is
 * a frame's age from its put into the slot to its detections going out.
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
import { repoRoot } from './clip';
import { benchJpegs, type BenchJpeg } from './inference-frames';
import { writeBenchModel } from './inference-model';
import { emptyMeasured, measureInto, outsideShare, type Measured } from './inference-measure';
import { PIPELINE_BATCHES } from '../apps/inference/src/detection-stages';
import { BENCH_CAMERAS, ServicePath } from './inference-path';
import { printStageCosts, printVariants } from './inference-variants';
import { envSeconds, figure, fmt, note, percentile } from './report';

const GOAL_OUTSIDE_SHARE = 0.15;
const BATCHES = [1, 4] as const;
/** the service's default batch for a dynamic model (modelConfigSchema) */
const SERVICE_BATCH = 4;
const WARMUP_MS = 1500;
const ROUNDS = 3;

export interface InferenceBenchOptions {
  /** measured seconds per batch size (BENCH_INFERENCE_S) */
  seconds?: number;
  /** how long each window may wait for a quiet machine (BENCH_QUIET_MAX_S) */
  quietMaxMs?: number;
}

function printWindow(prefix: string, m: Measured): void {
  const perFrame = (ms: number): number => ms / m.frames;
  const latencies = [...m.latencies].sort((a, b) => a - b);
  const seconds = m.wall / 1000;
  figure(`${prefix}.fps`, m.frames / seconds, `frames/s (${m.frames} frames in ${m.batches} batches, ${fmt(seconds)} s)`);
  figure(`${prefix}.prepare`, perFrame(m.prepare), 'ms/frame (DetectionStages.prepare: JPEG decode for the model input, letterbox into a pooled tensor)', 2);
  figure(`${prefix}.run_wall`, perFrame(m.runWall), 'ms/frame (DetectionStages.run: around OnnxWorker.run)', 2);
  figure(`${prefix}.run_inside`, perFrame(m.runInside), "ms/frame (session.run: the worker's ms)", 2);
  figure(`${prefix}.transport`, perFrame(m.runWall - m.runInside), 'ms/frame (run_wall - run_inside: postMessage both ways, tensor wrap)', 2);
  figure(`${prefix}.finish`, perFrame(m.finish), `ms/frame (DetectionStages.finish: decode + NMS, rules, outputs; ${m.annotated} annotated frames made)`, 2);
  figure(`${prefix}.wall`, perFrame(m.wall), 'ms/frame (wall / frames: stages overlap, so this is less than their sum)', 2);
  figure(`${prefix}.outside_run_share`, outsideShare(m) * 100, '%');
  figure(`${prefix}.latency`, percentile(latencies, 50), `ms p50 (p99 ${fmt(percentile(latencies, 99))} ms): a frame's age from its slot to its detections`);
  const cores = m.cpuSeconds / seconds;
  figure(`${prefix}.cpu`, cores, `cores of ${availableParallelism()}, ${fmt((m.cpuSeconds * 1000) / m.frames, 1)} ms CPU/frame (this process: event loop, ONNX worker, libuv pool)`, 2);
  if (m.otherCpuSeconds !== undefined) {
    const others = m.otherCpuSeconds / seconds;
    figure(`${prefix}.cpu_others`, others, 'cores busy with processes outside the bench (noise)', 2);
    if (others > 0.15) note(`${prefix}: shared the CPU with ${fmt(others, 2)} cores of other work; run again on a quiet machine`);
  }
}

/** Loads the model with `provider`, warms it up and measures batch 1 and batch 4 the service's way, in alternating rounds. */
async function measureProvider(
  modelPath: string,
  provider: ProviderChoice,
  jpegs: readonly BenchJpeg[],
  options: Required<InferenceBenchOptions>,
  onLoaded: (worker: OnnxWorker) => void,
): Promise<{ path: ServicePath; windows: Map<number, Measured> }> {
  const worker = await OnnxWorker.load(modelPath, { provider });
  onLoaded(worker);
  const path = new ServicePath(worker, jpegs);
  const pipeline = PIPELINE_BATCHES;
  for (const batch of BATCHES) await path.measure({ batch, pipeline, viewers: false }, WARMUP_MS);
  const windows = new Map(BATCHES.map((batch) => [batch, emptyMeasured()]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [batch, total] of windows) {
      await measureInto(path, { batch, pipeline, viewers: false }, (options.seconds * 1000) / ROUNDS, total, options.quietMaxMs, `inference batch ${batch} round ${round + 1}`);
    }
  }
  return { path, windows };
}

function printComparison(prefix: string, windows: Map<number, Measured>): void {
  const fps = (m: Measured): number => (m.frames * 1000) / m.wall;
  figure(`${prefix}.batch4_vs_batch1`, fps(windows.get(4)!) / fps(windows.get(1)!), 'x frames/s', 2);
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
    const cpu = await measureProvider(model.path, 'cpu', jpegs, settings, (worker) => workers.push(worker));
    note(
      `inference: the service's DetectionStages through its BatchScheduler (${PIPELINE_BATCHES ? 'pipelined' : 'one batch at a time'}), ${BENCH_CAMERAS} cameras at 30 frames/s into ` +
        'the latest-frame slots, no motion gate, no annotated-stream viewer; Redis left out (outputs counted, not published)',
    );
    figure('inference.provider', `${cpu.path.worker.info.provider.toUpperCase()}`, "(ONNX Runtime's default intra-op threads)");
    for (const [batch, window] of cpu.windows) printWindow(`inference.cpu.batch${batch}`, window);
    printComparison('inference.cpu', cpu.windows);
    const service = cpu.windows.get(SERVICE_BATCH)!;
    const share = outsideShare(service);
    const others = [...cpu.windows].filter(([batch]) => batch !== SERVICE_BATCH).map(([batch, window]) => `batch ${batch}: ${fmt(outsideShare(window) * 100)} %`);
    figure('inference.outside_run_share', share * 100, `% (CPU, batch ${SERVICE_BATCH}, the service's default; ${others.join(', ')})`);
    console.log(`goal: outside session.run < ${GOAL_OUTSIDE_SHARE * 100} %: ${share < GOAL_OUTSIDE_SHARE ? 'met' : 'not met'} (${fmt(share * 100)} % at batch ${SERVICE_BATCH} on CPU)`);
    // half the main windows' time each
    await printVariants('inference.cpu.variant', cpu.path, SERVICE_BATCH, (settings.seconds * 1000) / 2, ROUNDS, settings.quietMaxMs);
    await printStageCosts('inference.cpu.stage', cpu.path, jpegs, SERVICE_BATCH);

    const gpu = gpuName();
    // the CPU session is done: its memory and threads go before a GPU session starts
    await workers.pop()?.close();
    if (!gpu) {
      console.log('GPU: not measured (no GPU on this machine)');
    } else {
      try {
        const cuda = await measureProvider(model.path, 'cuda', jpegs, settings, (worker) => workers.push(worker));
        figure('inference.gpu', gpu, `(CUDA execution provider, ${cuda.path.worker.info.provider.toUpperCase()} session)`);
        for (const [batch, window] of cuda.windows) printWindow(`inference.gpu.batch${batch}`, window);
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

if (require.main === module) {
  void benchInference().finally(() => setTimeout(() => process.exit(), 100).unref());
}
