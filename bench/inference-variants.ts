/**
 * Next to the service's arrangement: the same path pipelined and one batch at a time, and with a viewer on every
 * annotated stream; then what each stage costs alone, one frame at a time, for the record of where the time outside
 * session.run goes.
 */
import type { Mat } from '@u4/opencv4nodejs';
import { DEFAULT_PARAMS, minConfidenceFor } from '../libs/detect/src/rules/params';
import { decodeJpeg } from '../libs/detect/src/vision/decoded-frame';
import { jpegReductionFor, letterboxBatch } from '../libs/detect/src/vision/letterbox';
import { releaseMats } from '../libs/media/src/opencv';
import { decode } from '../libs/detect/src/yolo/decode';
import { PIPELINE_BATCHES } from '../apps/inference/src/detection-stages';
import type { BenchJpeg } from './inference-frames';
import { emptyMeasured, measureInto, outsideShare, type Measured } from './inference-measure';
import { BENCH_MODEL } from './inference-model';
import type { PathSettings, ServicePath } from './inference-path';
import { figure, fmt, percentile } from './report';

/** Each variant for `ms` at `batch`, in `rounds` interleaved rounds so that a noisy spell hits all of them. */
export async function printVariants(prefix: string, path: ServicePath, batch: number, ms: number, rounds: number, quietMaxMs: number): Promise<void> {
  const variants: [string, PathSettings, string][] = [
    ['pipelined', { batch, pipeline: true, viewers: false }, 'the next batch prepared while one runs (taken just before the run is expected to end)'],
    ['one_at_a_time', { batch, pipeline: false, viewers: false }, 'each batch through all its stages before the next is taken'],
    ['viewers', { batch, pipeline: PIPELINE_BATCHES, viewers: true }, "as the service, with a viewer on every camera's annotated stream: full-size decode, boxes drawn, JPEG encoded, every frame"],
  ];
  const totals = variants.map((): Measured => emptyMeasured());
  for (let round = 0; round < rounds; round++) {
    for (const [index, [name, settings]] of variants.entries()) {
      await measureInto(path, settings, ms / rounds, totals[index]!, quietMaxMs, `inference variant ${name} round ${round + 1}`);
    }
  }
  for (const [index, [name, , what]] of variants.entries()) {
    const m = totals[index]!;
    const latencies = [...m.latencies].sort((a, b) => a - b);
    const others = m.otherCpuSeconds === undefined ? '' : `, others ${fmt(m.otherCpuSeconds / (m.wall / 1000), 2)} cores`;
    figure(
      `${prefix}.${name}.outside_run_share`,
      outsideShare(m) * 100,
      `% at ${fmt((m.frames * 1000) / m.wall)} frames/s; session.run ${fmt(m.runInside / m.frames, 2)} ms/frame, prepare ${fmt(m.prepare / m.frames, 2)}, ` +
        `finish ${fmt(m.finish / m.frames, 2)}; latency p50 ${fmt(percentile(latencies, 50))} ms; CPU ${fmt((m.cpuSeconds * 1000) / m.frames, 1)} ms/frame${others}; ${what}`,
    );
  }
}

/** Mean ms of `fn` over `reps` calls, after one untimed call. */
async function timeEach(reps: number, fn: () => Promise<void> | void): Promise<number> {
  await fn();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await fn();
  return (performance.now() - t0) / reps;
}

/** Each stage alone, one frame at a time (the pipeline runs a batch's frames in parallel, so its figures are lower). */
export async function printStageCosts(prefix: string, path: ServicePath, jpegs: readonly BenchJpeg[], batch: number): Promise<void> {
  const { model } = path;
  const jpeg = jpegs[0]!;
  const reduction = jpegReductionFor(jpeg.width, jpeg.height, model.input);
  const full = await timeEach(20, async () => releaseMats(await decodeJpeg(jpeg.data)));
  const reduced = await timeEach(20, async () => releaseMats(await decodeJpeg(jpeg.data, undefined, reduction)));
  const images: Mat[] = await Promise.all(jpegs.slice(0, batch).map((frame) => decodeJpeg(frame.data, undefined, reduction)));
  try {
    figure(`${prefix}.decode_full`, full, `ms/frame (JPEG ${jpeg.width}x${jpeg.height} -> BGR: for annotation, when someone watches)`, 2);
    figure(`${prefix}.decode_model`, reduced, `ms/frame (at 1/${reduction}, ${images[0]!.cols}x${images[0]!.rows}: the model input's decode)`, 2);
    const tensor = new Float32Array(batch * 3 * model.input.width * model.input.height);
    const letterboxed = await letterboxBatch(images, model.input, tensor);
    figure(`${prefix}.letterbox`, (await timeEach(10, () => letterboxBatch(images, model.input, tensor).then(() => undefined))) / batch, 'ms/frame (into a reused tensor, a batch in parallel)', 2);
    const output = await model.worker.run(letterboxed.data.slice(), batch, model.input.height, model.input.width);
    const frames = (minConfidence: (classId: number) => number) =>
      images.map((image, index) => ({ width: image.cols, height: image.rows, geometry: letterboxed.geometries[index]!, minConfidence, iou: DEFAULT_PARAMS.iou }));
    const threshold = (classId: number): number => minConfidenceFor(DEFAULT_PARAMS, BENCH_MODEL.classNames[classId] ?? '');
    const all = (await timeEach(50, () => void model.detector.detect(output, frames(threshold)))) / batch;
    const none = (await timeEach(50, () => void model.detector.detect(output, frames(() => 0.9)))) / batch;
    const firstImage = output.data.subarray(0, output.data.length / batch);
    const candidates = decode(firstImage, { kind: 'v8', classes: BENCH_MODEL.classNames.length, anchors: BENCH_MODEL.anchors }, threshold).count;
    figure(`${prefix}.detect`, all, `ms/frame (YoloDetector.detect, ${candidates} candidates per image at min confidence ${DEFAULT_PARAMS.minConfidence['*']}: the letterbox grey reaches it at every anchor of the bench model)`, 2);
    figure(`${prefix}.detect_no_candidates`, none, 'ms/frame (YoloDetector.detect when no anchor passes: the scan alone, what a real model mostly costs)', 2);
  } finally {
    releaseMats(...images);
  }
}
