import type { Logger } from '@nestjs/common';
import type { Mat } from '@u4/opencv4nodejs';
import { channels, type Detection, type Frame } from '@vigil/contracts';
import {
  annotateFrame,
  DecodedFrame,
  decodeForInput,
  evaluateRules,
  filterByConfidence,
  FrameDecodeError,
  letterboxBatch,
  minConfidenceFor,
  OnnxWorkerDownError,
  TensorPool,
  type BatchStages,
  type LetterboxedBatch,
  type OnnxWorkerResult,
  type Taken,
} from '@vigil/detect';
import { ThrottledLog } from '@vigil/metrics';
import type { AnnotatedAction, AnnotatedDemand } from './annotated-demand';
import type { CameraDetection } from './cameras/camera-detection';
import type { DetectionOutputs } from './detection-outputs';
import type { InferenceMetrics } from './inference-metrics';
import type { LoadedModel } from './model/model-runtime';

/** One camera's frame on its way through a batch. */
export interface Item {
  state: CameraDetection;
  frame: Frame;
  decoded: DecodedFrame;
  motion: Detection[];
  detections?: Detection[];
  inferenceMs: number;
  detector: string;
  gated: boolean;
  /** what this frame does for the camera's annotated stream (decided when the batch was taken) */
  annotated: AnnotatedAction;
  /** its JPEG did not decode: dropped from the batch (and counted), the other cameras' frames go on */
  undecodable?: boolean;
}

/** A batch after `prepare`: the model's input for the frames that go to the model. */
export interface Prepared {
  items: Item[];
  model?: { items: Item[]; tensor: LetterboxedBatch; sizes: { width: number; height: number }[] };
}

/** A batch after `run`: the model's output, if it ran. */
export interface Ran extends Prepared {
  output?: OnnxWorkerResult;
}

export interface DetectionStagesDeps {
  model?: LoadedModel;
  camera: (id: string) => CameraDetection | undefined;
  outputs: DetectionOutputs;
  metrics: InferenceMetrics;
  demand: AnnotatedDemand;
  logger: Logger;
}

/**
 * Whether detection batches are pipelined (BatchScheduler's `pipeline`). Measured with bench/inference.ts on 2 CPU
 * cores: the share of time outside session.run about halves and frames/s stays within the noise, while a frame's age
 * at its detections grows by a tenth to a fifth, as the model shares the cores with the next batch's decoding. On a
 * GPU the CPU would otherwise idle while the model runs.
 */
export const PIPELINE_BATCHES = true;

/** while the model worker is down, one line per model this often about the batches it loses */
export const LOST_BATCH_LOG_INTERVAL_MS = 10_000;

/**
 * A batch of cameras' frames through detection, in the BatchScheduler's stages: `prepare` (motion, the gate, the
 * model input), `run` (the model, in its worker) and `finish` (boxes, rules, outputs). With the scheduler pipelined,
 * one batch's prepare and another's finish run on the thread pool and the event loop while the model runs.
 */
export class DetectionStages implements BatchStages<Frame, Prepared, Ran> {
  /** two input buffers: one being filled while the other is in the worker */
  private readonly pool?: TensorPool;
  /** batches lost while the worker restarts: one line per interval, not one per batch */
  private readonly lostLog: ThrottledLog;

  constructor(private readonly deps: DetectionStagesDeps) {
    const model = deps.model;
    if (model) this.pool = new TensorPool(model.batch * 3 * model.input.width * model.input.height);
    this.lostLog = new ThrottledLog((line) => deps.logger.warn(line), { intervalMs: LOST_BATCH_LOG_INTERVAL_MS });
  }

  async prepare(taken: Taken<Frame>[]): Promise<Prepared> {
    const items: Item[] = [];
    for (const { camera, frame } of taken) {
      const state = this.deps.camera(camera);
      if (!state) continue;
      const annotated = this.deps.demand.next(camera);
      items.push({ state, frame, decoded: new DecodedFrame(frame), motion: [], inferenceMs: 0, detector: 'motion', gated: false, annotated });
    }
    try {
      const moving = await this.eachDecodable(items, (item) => (item.state.usesMotion ? this.detectMotion(item) : Promise.resolve()));
      for (const item of moving) {
        if (item.state.usesModel && item.state.detect.motionGate && item.motion.length === 0) item.gated = true;
        else if (!item.state.usesModel) item.detections = item.motion;
      }
      const model = await this.modelInput(moving.filter((item) => item.state.usesModel && !item.gated));
      return { items: moving.filter((item) => !item.undecodable), model };
    } catch (error) {
      release(items);
      throw error;
    }
  }

  async run(prepared: Prepared): Promise<Ran> {
    const { model } = this.deps;
    const input = prepared.model;
    if (!model || !input) return prepared;
    try {
      const output = await model.worker.run(input.tensor.data, input.tensor.batch, input.tensor.height, input.tensor.width);
      this.pool?.give(output.input);
      this.deps.metrics.runSeconds.inc({ model: model.name }, output.ms / 1000);
      return { ...prepared, output };
    } catch (error) {
      if (error instanceof OnnxWorkerDownError) return this.lost(prepared, model, error);
      release(prepared.items);
      throw error;
    }
  }

  /**
   * The worker died under this batch or is being restarted: the model's frames are dropped and counted (frames are
   * disposable; the next ones go to the restarted worker), the batch's frames that needed no model go on.
   */
  private lost(prepared: Prepared, model: LoadedModel, error: OnnxWorkerDownError): Prepared {
    const lost = new Set(prepared.model!.items);
    release([...lost]);
    // refused before it was sent, the buffer is still ours (sent to a thread that died, it went with it)
    const { data } = prepared.model!.tensor;
    if (data.buffer.byteLength > 0) this.pool?.give(new Float32Array(data.buffer));
    this.deps.metrics.failedBatches.inc({ model: model.name });
    this.lostLog.log(model.name, `model ${model.name}: a batch of ${lost.size} frame(s) got no detections: ${error.message}`);
    return { items: prepared.items.filter((item) => !lost.has(item)) };
  }

  async finish(ran: Ran): Promise<void> {
    try {
      this.boxes(ran);
      await this.eachDecodable(ran.items, (item) => this.finishItem(item));
    } finally {
      release(ran.items);
    }
  }

  /**
   * Runs `step` on every item and gives back those it worked for. A frame whose JPEG does not decode (corrupt bytes
   * that passed the bus's header checks) is dropped and counted for its camera; it no longer fails the whole batch,
   * which took every other camera's frame down with it. Any other error still fails the batch.
   */
  private async eachDecodable(items: Item[], step: (item: Item) => Promise<void>): Promise<Item[]> {
    const results = await Promise.allSettled(items.map(step));
    const failure = results.find((result) => result.status === 'rejected' && !(result.reason instanceof FrameDecodeError));
    if (failure) throw (failure as PromiseRejectedResult).reason;
    return items.filter((item, index) => {
      const result = results[index]!;
      if (result.status === 'fulfilled') return true;
      item.undecodable = true;
      item.decoded.release();
      const camera = item.frame.camera;
      this.deps.metrics.badMessages.drop(camera, channels.frames(camera, 'raw'), 'jpeg', (result.reason as Error).message);
      return false;
    });
  }

  private async detectMotion(item: Item): Promise<void> {
    const started = performance.now();
    item.motion = await item.state.motion.detect(item.decoded);
    item.inferenceMs = performance.now() - started;
  }

  /**
   * The model's input: each frame decoded at the reduced size the letterbox needs, or at full size where annotation
   * will draw on it anyway, letterboxed into a pooled buffer. The scheduler's batch is the model's, so one run fits all.
   */
  private async modelInput(items: Item[]): Promise<Prepared['model']> {
    const { model } = this.deps;
    if (!model || !this.pool || items.length === 0) return undefined;
    const images = new Map<Item, Mat>();
    const decoded = await this.eachDecodable(items, async (item) => {
      images.set(item, await (item.annotated === 'annotate' ? item.decoded.bgr() : decodeForInput(item.decoded, model.input)));
    });
    if (decoded.length === 0) return undefined;
    const buffer = this.pool.take();
    const inputs = decoded.map((item) => images.get(item)!);
    const letterboxed = await letterboxBatch(inputs, model.input, buffer);
    // a model exported with a fixed batch takes exactly that many images: a partial batch runs padded with whatever
    // the reused buffer held, and the padding's outputs are never read (the detector reads one per item)
    const tensor = model.worker.info.batch === 'dynamic' ? letterboxed : { ...letterboxed, data: buffer, batch: model.batch };
    // boxes come back normalised to the image letterboxed, so a reduced decode maps them as well as the full one
    return { items: decoded, tensor, sizes: inputs.map((image) => ({ width: image.cols, height: image.rows })) };
  }

  private boxes({ model: input, output }: Ran): void {
    const { model } = this.deps;
    if (!model || !input || !output) return;
    const perImage = model.detector.detect(
      output,
      input.items.map((item, index) => ({
        ...input.sizes[index]!,
        geometry: input.tensor.geometries[index]!,
        minConfidence: (classId: number) => minConfidenceFor(item.state.params, model.classNames[classId] ?? ''),
        iou: item.state.params.iou,
      })),
    );
    input.items.forEach((item, index) => {
      item.detections = perImage[index] ?? [];
      item.inferenceMs = output.ms / input.items.length;
      item.detector = model.name;
    });
  }

  private async finishItem(item: Item): Promise<void> {
    const { state, frame } = item;
    const { outputs, metrics, demand } = this.deps;
    const camera = frame.camera;
    if (item.gated) {
      // a still scene: no model run, and the rules keep their counts (nothing new was seen)
      state.counters.gated += 1;
      metrics.gated.inc({ camera });
      outputs.detections({ camera, seq: frame.seq, ts: frame.ts, width: frame.width, height: frame.height, detections: [], detector: 'motion-gate', inferenceMs: 0 });
      // the annotated stream keeps flowing on a still scene: nothing to draw, so the frame as it is
      if (item.annotated !== 'none') demand.published(camera, outputs.annotated(frame, frame.data));
      return;
    }
    const detections = filterByConfidence(item.detections ?? [], state.params);
    state.counters.inferred += 1;
    state.counters.lastInferenceMs = item.inferenceMs;
    state.counters.lastDetections = detections.length;
    metrics.inferred.inc({ camera, detector: item.detector });
    outputs.detections({ camera, seq: frame.seq, ts: frame.ts, width: frame.width, height: frame.height, detections, detector: item.detector, inferenceMs: item.inferenceMs });
    const results = evaluateRules(detections, state.detect, state.params, { modelLabels: state.usesModel ? this.deps.model?.classNames : ['motion'] });
    for (const violation of state.debouncer.update({ seq: frame.seq, ts: frame.ts }, results)) {
      state.counters.violations += 1;
      metrics.violations.inc({ camera, rule: violation.rule });
      await outputs.violation(violation).catch((error: Error) => this.deps.logger.warn(`camera ${camera}: cannot record violation ${violation.rule}: ${error.message}`));
    }
    if (item.annotated === 'annotate') demand.published(camera, outputs.annotated(frame, await annotateFrame(item.decoded, detections)));
    else if (item.annotated === 'probe') demand.published(camera, outputs.annotated(frame, frame.data));
  }
}

function release(items: readonly Item[]): void {
  for (const item of items) item.decoded.release();
}
