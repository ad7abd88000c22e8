import type { Mat } from '@u4/opencv4nodejs';
import { OnnxWorker } from '../libs/detect/src/onnx/onnx-worker';
import type { OnnxRunResult } from '../libs/detect/src/onnx/onnx-session';
import { DEFAULT_PARAMS, minConfidenceFor } from '../libs/detect/src/rules/params';
import { DecodedFrame } from '../libs/detect/src/vision/decoded-frame';
import { letterboxBatch, type LetterboxedBatch } from '../libs/detect/src/vision/letterbox';
import { opencv, releaseMats } from '../libs/media/src/opencv';
import { decode } from '../libs/detect/src/yolo/decode';
import { detectLayout } from '../libs/detect/src/yolo/layout';
import { YoloDetector } from '../libs/detect/src/yolo/yolo-detector';
import type { BenchJpeg } from './inference-frames';
import { BENCH_MODEL } from './inference-model';

/** One batch's stage times, ms, as the event loop sees them. */
export interface BatchTiming {
  decode: number;
  letterbox: number;
  runWall: number;
  /** session.run, as the worker timed it */
  runInside: number;
  detect: number;
  wall: number;
  detections: number;
}

/** A batch decoded and letterboxed, ready for the model. */
export interface Prepared {
  tensor: LetterboxedBatch;
  /** the decoded size of each image (what the boxes are normalised against) */
  sizes: { width: number; height: number }[];
  decodeMs: number;
  letterboxMs: number;
  release(): void;
}

/**
 * The service's model path (InferenceService.runModel with its DecodedFrames) over a few JPEGs in turn, stage by
 * stage, so that the bench can time each stage and try other arrangements of the same stages.
 */
export class ModelPath {
  private next = 0;
  private readonly detector: YoloDetector;
  readonly size = { width: BENCH_MODEL.size, height: BENCH_MODEL.size };

  constructor(
    readonly worker: OnnxWorker,
    private readonly jpegs: readonly BenchJpeg[],
  ) {
    const dims = worker.info.outputs[0]?.dims;
    if (!dims) throw new Error('the bench model declares no output shape');
    this.detector = new YoloDetector(detectLayout(dims, BENCH_MODEL.classNames.length), {
      classNames: BENCH_MODEL.classNames,
      minConfidence: () => 0,
      iou: DEFAULT_PARAMS.iou,
    });
  }

  /** The default threshold of the service (no camera or model override). */
  readonly minConfidence = (classId: number): number => minConfidenceFor(DEFAULT_PARAMS, BENCH_MODEL.classNames[classId] ?? '');

  /**
   * Decodes the next `batch` JPEGs and letterboxes them. `reduced`: libjpeg's DCT scaling to 1/2 (960x540 from
   * 1080p) instead of DecodedFrame's full-size decode, a what-if the service does not do.
   */
  async prepare(batch: number, reduced = false): Promise<Prepared> {
    const jpegs = Array.from({ length: batch }, () => this.jpegs[this.next++ % this.jpegs.length]!);
    const decoded = reduced ? [] : jpegs.map((jpeg) => new DecodedFrame({ data: jpeg.data, camera: 'bench', width: jpeg.width, height: jpeg.height }));
    let mats: Mat[] = [];
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      // as runBatch does: the Mats go now, not at some later garbage collection
      for (const frame of decoded) frame.release();
      if (reduced) releaseMats(...mats);
    };
    try {
      const t0 = performance.now();
      const cv = opencv();
      mats = reduced
        ? await Promise.all(jpegs.map((jpeg) => cv.imdecodeAsync(jpeg.data, cv.IMREAD_REDUCED_COLOR_2)))
        : await Promise.all(decoded.map((frame) => frame.bgr()));
      const t1 = performance.now();
      const tensor = await letterboxBatch(mats, this.size);
      const t2 = performance.now();
      return { tensor, sizes: mats.map((mat) => ({ width: mat.cols, height: mat.rows })), decodeMs: t1 - t0, letterboxMs: t2 - t1, release };
    } catch (error) {
      release();
      throw error;
    }
  }

  run(prepared: Prepared): Promise<OnnxRunResult> {
    const { tensor } = prepared;
    return this.worker.run(tensor.data, tensor.batch, tensor.height, tensor.width);
  }

  /** Detections per image, as runModel asks for them; returns how many. */
  detect(result: OnnxRunResult, prepared: Prepared, minConfidence = this.minConfidence): number {
    const frames = prepared.sizes.map((size, index) => ({ ...size, geometry: prepared.tensor.geometries[index]!, minConfidence, iou: DEFAULT_PARAMS.iou }));
    return this.detector.detect(result, frames).reduce((sum, list) => sum + list.length, 0);
  }

  /** One batch the way the service runs it: decode, letterbox, run, detect, release, one after the other. */
  async runBatch(batch: number): Promise<BatchTiming> {
    const t0 = performance.now();
    const prepared = await this.prepare(batch);
    try {
      const t1 = performance.now();
      const result = await this.run(prepared);
      const t2 = performance.now();
      const detections = this.detect(result, prepared);
      const t3 = performance.now();
      prepared.release();
      return {
        decode: prepared.decodeMs,
        letterbox: prepared.letterboxMs,
        runWall: t2 - t1,
        runInside: result.ms,
        detect: t3 - t2,
        wall: performance.now() - t0,
        detections,
      };
    } finally {
      prepared.release();
    }
  }

  /** Candidates per image above `minConfidence` (what NMS sorts), from one untimed batch of one. */
  async candidates(): Promise<number> {
    const prepared = await this.prepare(1);
    try {
      const result = await this.run(prepared);
      return decode(result.data, { kind: 'v8', classes: BENCH_MODEL.classNames.length, anchors: BENCH_MODEL.anchors }, this.minConfidence).count;
    } finally {
      prepared.release();
    }
  }
}
