/**
 * Where the time outside session.run goes, and what would shrink it: the same stages, arranged otherwise, measured
 * next to the service's arrangement. None of these is what the service does today.
 */
import { BENCH_MODEL } from './inference-model';
import type { ModelPath } from './inference-path';
import { machineBusySeconds, waitForQuiet } from './proc';
import { figure, fmt } from './report';

export interface Arrangement {
  /** decode at 1/2 size (libjpeg DCT scaling) instead of full size */
  reduced: boolean;
  /** decode + letterbox the next batch while this one runs, instead of one batch at a time */
  overlap: boolean;
}

export interface ArrangementResult {
  frames: number;
  seconds: number;
  /** sums, ms */
  inside: number;
  prepare: number;
  /** CPU seconds of this process during the loop (event loop, ONNX worker and its threads, libuv pool) */
  ownCpu: number;
  /** CPU seconds of other processes during the loop (noise) */
  othersCpu: number;
}

/** Batches back to back for `ms` in `arrangement`; the wall is the loop's, from the first prepare to the last detect. */
export async function measureArrangement(path: ModelPath, batch: number, arrangement: Arrangement, ms: number): Promise<ArrangementResult> {
  const result: ArrangementResult = { frames: 0, seconds: 0, inside: 0, prepare: 0, ownCpu: 0, othersCpu: 0 };
  const cpu0 = process.cpuUsage();
  const busy0 = machineBusySeconds();
  const t0 = performance.now();
  let pending = arrangement.overlap ? path.prepare(batch, arrangement.reduced) : undefined;
  try {
    while (performance.now() - t0 < ms) {
      const prepared = await (pending ?? path.prepare(batch, arrangement.reduced));
      // started now, the next batch's decode and letterbox run on libuv's pool while the worker runs this one
      pending = arrangement.overlap ? path.prepare(batch, arrangement.reduced) : undefined;
      try {
        const output = await path.run(prepared);
        path.detect(output, prepared);
        result.inside += output.ms;
        result.prepare += prepared.decodeMs + prepared.letterboxMs;
        result.frames += batch;
      } finally {
        prepared.release();
      }
    }
    result.seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const busy1 = machineBusySeconds();
    result.ownCpu = (cpu.user + cpu.system) / 1e6;
    if (busy0 !== undefined && busy1 !== undefined) result.othersCpu = Math.max(0, busy1 - busy0 - result.ownCpu);
  } finally {
    (await pending?.catch(() => undefined))?.release();
  }
  return result;
}

/** Detect alone on one batch's output, at the service's threshold and at one no anchor of the bench model reaches. */
async function detectCost(path: ModelPath, batch: number): Promise<{ all: number; none: number }> {
  const prepared = await path.prepare(batch);
  try {
    const output = await path.run(prepared);
    const time = (minConfidence: (classId: number) => number): number => {
      const reps = 50;
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) path.detect(output, prepared, minConfidence);
      return (performance.now() - t0) / reps / batch;
    };
    time(path.minConfidence); // JIT warm-up
    return { all: time(path.minConfidence), none: time(() => 0.9) };
  } finally {
    prepared.release();
  }
}

/**
 * Each arrangement for `ms` at `batch`, the service's own first, in `rounds` interleaved rounds so that a noisy
 * spell hits all of them; then what detect costs without the bench model's flood of candidates.
 */
export async function printWhatIfs(prefix: string, path: ModelPath, batch: number, ms: number, rounds: number, quietMaxMs: number): Promise<void> {
  const arrangements: [string, Arrangement, string][] = [
    ['as_service', { reduced: false, overlap: false }, 'the service: one batch at a time, full-size decode'],
    ['decode_half', { reduced: true, overlap: false }, 'decode at 1/2 size (IMREAD_REDUCED_COLOR_2, 960x540), then letterbox; annotation would need its own full decode or draw at 960x540'],
    ['overlap', { reduced: false, overlap: true }, 'decode + letterbox of batch k+1 during session.run of batch k; frames get one run older'],
    ['overlap_decode_half', { reduced: true, overlap: true }, 'both'],
  ];
  const totals = arrangements.map((): ArrangementResult => ({ frames: 0, seconds: 0, inside: 0, prepare: 0, ownCpu: 0, othersCpu: 0 }));
  for (let round = 0; round < rounds; round++) {
    for (const [index, [, arrangement]] of arrangements.entries()) {
      await waitForQuiet([], 0.15, quietMaxMs);
      const r = await measureArrangement(path, batch, arrangement, ms / rounds);
      const total = totals[index]!;
      total.frames += r.frames;
      total.seconds += r.seconds;
      total.inside += r.inside;
      total.prepare += r.prepare;
      total.ownCpu += r.ownCpu;
      total.othersCpu += r.othersCpu;
    }
  }
  for (const [index, [name, , what]] of arrangements.entries()) {
    const r = totals[index]!;
    const wall = (r.seconds * 1000) / r.frames;
    const inside = r.inside / r.frames;
    figure(
      `${prefix}.${name}.outside_run_share`,
      (1 - inside / wall) * 100,
      `% at ${fmt(r.frames / r.seconds)} frames/s; session.run ${fmt(inside, 2)} ms/frame, decode + letterbox ${fmt(r.prepare / r.frames, 2)} ms/frame, ` +
        `CPU ${fmt((r.ownCpu * 1000) / r.frames, 1)} ms/frame, others ${fmt(r.othersCpu / r.seconds, 2)} cores; ${what}`,
    );
  }
  const detect = await detectCost(path, batch);
  figure(`${prefix}.detect_no_candidates`, detect.none, `ms/frame (YoloDetector.detect when no anchor passes: the scan alone; ${fmt(detect.all, 2)} ms/frame with all ${BENCH_MODEL.anchors} passing)`, 2);
}
