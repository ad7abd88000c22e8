import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { channels, decodeFrame, keys, type CameraConfig, type Detection, type Frame } from '@vigil/contracts';
import {
  annotateFrame,
  BatchScheduler,
  DecodedFrame,
  evaluateRules,
  filterByConfidence,
  LatestFrameSlots,
  letterboxBatch,
  minConfidenceFor,
  ruleLabelProblems,
} from '@vigil/detect';
import { BusSubscriber, CameraRegistry, RedisConnections, type MessageHandler } from '@vigil/redis';
import type Redis from 'ioredis';
import { CameraDetection } from './cameras/camera-detection';
import { DetectionOutputs } from './detection-outputs';
import { InferenceMetrics } from './inference-metrics';
import { ModelRuntime, type LoadedModel } from './model/model-runtime';

const RECONCILE_MS = 2000;
const DEFAULT_BATCH = { size: 4, waitMs: 10 };

interface Item {
  state: CameraDetection;
  frame: Frame;
  decoded: DecodedFrame;
  motion: Detection[];
  detections?: Detection[];
  inferenceMs: number;
  detector: string;
  gated: boolean;
}

/**
 * Detection on the latest frame of every camera that asks for it: one slot per camera, batches
 * across cameras, motion gating, the model, rules, and the outputs (detections, annotated frames,
 * violations).
 */
@Injectable()
export class InferenceService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Inference');
  private readonly slots = new LatestFrameSlots<Frame>();
  private readonly cameras = new Map<string, { state: CameraDetection; handler: MessageHandler }>();
  private scheduler!: BatchScheduler<Frame>;
  private model?: LoadedModel;
  private timer?: NodeJS.Timeout;
  private status!: Redis;

  constructor(
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
    private readonly registry: CameraRegistry,
    private readonly bus: BusSubscriber,
    private readonly runtime: ModelRuntime,
    private readonly outputs: DetectionOutputs,
    private readonly metrics: InferenceMetrics,
    connections: RedisConnections,
  ) {
    this.status = connections.create('inference-status');
  }

  async onApplicationBootstrap(): Promise<void> {
    this.model = await this.runtime.load();
    const batch = this.model ? { size: this.model.batch, waitMs: this.model.config.batchWaitMs } : DEFAULT_BATCH;
    this.scheduler = new BatchScheduler(this.slots, batch, (taken) => this.runBatch(taken), (error) => this.logger.warn(`batch failed: ${error.message}`));
    await this.reconcile();
    this.timer = setInterval(() => void this.reconcile(), RECONCILE_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.scheduler?.stop();
    for (const id of [...this.cameras.keys()]) await this.stopCamera(id);
  }

  private async reconcile(): Promise<void> {
    let wanted: CameraConfig[];
    try {
      wanted = (await this.registry.list()).filter((camera) => camera.enabled && camera.detect?.enabled);
    } catch (error) {
      this.logger.warn(`cannot read the camera registry: ${(error as Error).message}`);
      return;
    }
    const ids = new Set(wanted.map((camera) => camera.id));
    for (const id of this.cameras.keys()) if (!ids.has(id)) await this.stopCamera(id);
    for (const camera of wanted) {
      const current = this.cameras.get(camera.id);
      if (current && JSON.stringify(current.state.camera) === JSON.stringify(camera)) continue;
      if (current) await this.stopCamera(camera.id);
      await this.startCamera(camera);
    }
    await this.writeStatus();
  }

  private async startCamera(camera: CameraConfig): Promise<void> {
    const state = new CameraDetection(camera, this.model?.config);
    if (state.usesModel && !this.model) state.problem = 'detector "model" but no model is configured (MODEL_PATH or model.path)';
    const labels = state.usesModel ? this.model?.classNames ?? [] : ['motion'];
    const problems = ruleLabelProblems(state.detect.rules, labels);
    for (const problem of problems) this.logger.warn(`camera ${camera.id}: ${problem}`);
    if (state.problem) this.logger.warn(`camera ${camera.id}: ${state.problem}`);
    const handler: MessageHandler = (message) => this.onFrame(camera.id, message);
    this.cameras.set(camera.id, { state, handler });
    await this.bus.add(channels.frames(camera.id, 'raw'), handler);
    this.logger.log(`camera ${camera.id}: detection on (${state.usesModel ? `model${state.detect.motionGate ? ', motion-gated' : ''}` : 'motion'}, ${state.detect.rules.length} rule(s))`);
  }

  private async stopCamera(id: string): Promise<void> {
    const entry = this.cameras.get(id);
    if (!entry) return;
    this.cameras.delete(id);
    this.slots.drop(id);
    await this.bus.remove(channels.frames(id, 'raw'), entry.handler);
    await this.status.hdel(keys.inferenceStatus, id).catch(() => undefined);
  }

  private onFrame(camera: string, message: Buffer): void {
    const entry = this.cameras.get(camera);
    if (!entry || entry.state.problem) return;
    let frame: Frame;
    try {
      frame = decodeFrame(message);
    } catch (error) {
      this.logger.warn(`camera ${camera}: dropped a bad frame message: ${(error as Error).message}`);
      return;
    }
    if (this.slots.put(camera, frame)) {
      entry.state.counters.skipped += 1;
      this.metrics.skipped.inc({ camera });
    }
    this.scheduler.notify();
  }

  private async runBatch(taken: { camera: string; frame: Frame }[]): Promise<void> {
    const items: Item[] = [];
    for (const { camera, frame } of taken) {
      const state = this.cameras.get(camera)?.state;
      if (state) items.push({ state, frame, decoded: new DecodedFrame(frame), motion: [], inferenceMs: 0, detector: 'motion', gated: false });
    }
    try {
      await Promise.all(
        items
          .filter((item) => item.state.usesMotion)
          .map(async (item) => {
            const started = performance.now();
            item.motion = await item.state.motion.detect(item.decoded);
            item.inferenceMs = performance.now() - started;
          }),
      );
      for (const item of items) {
        if (item.state.usesModel && item.state.detect.motionGate && item.motion.length === 0) item.gated = true;
        else if (!item.state.usesModel) item.detections = item.motion;
      }
      await this.runModel(items.filter((item) => item.state.usesModel && !item.gated));
      await Promise.all(items.map((item) => this.finish(item)));
    } finally {
      for (const item of items) item.decoded.release();
    }
  }

  private async runModel(items: Item[]): Promise<void> {
    const model = this.model;
    if (!model || items.length === 0) return;
    for (let start = 0; start < items.length; start += model.batch) {
      const chunk = items.slice(start, start + model.batch);
      const images = await Promise.all(chunk.map((item) => item.decoded.bgr()));
      const tensor = await letterboxBatch(images, model.input);
      const result = await model.worker.run(tensor.data, chunk.length, model.input.height, model.input.width);
      this.metrics.runSeconds.inc({ model: model.name }, result.ms / 1000);
      const perImage = model.detector.detect(
        result,
        chunk.map((item, index) => ({
          width: item.frame.width,
          height: item.frame.height,
          geometry: tensor.geometries[index]!,
          minConfidence: (classId: number) => minConfidenceFor(item.state.params, model.classNames[classId] ?? ''),
          iou: item.state.params.iou,
        })),
      );
      chunk.forEach((item, index) => {
        item.detections = perImage[index] ?? [];
        item.inferenceMs = result.ms / chunk.length;
        item.detector = model.name;
      });
    }
  }

  private async finish(item: Item): Promise<void> {
    const { state, frame } = item;
    const camera = frame.camera;
    if (item.gated) {
      // a still scene: no model run, and the rules keep their counts (nothing new was seen)
      state.counters.gated += 1;
      this.metrics.gated.inc({ camera });
      this.outputs.detections({ camera, seq: frame.seq, ts: frame.ts, width: frame.width, height: frame.height, detections: [], detector: 'motion-gate', inferenceMs: 0 });
      // the annotated stream keeps flowing on a still scene: nothing to draw, so the frame as it is
      this.outputs.annotated(frame, frame.data);
      return;
    }
    const detections = filterByConfidence(item.detections ?? [], state.params);
    state.counters.inferred += 1;
    state.counters.lastInferenceMs = item.inferenceMs;
    state.counters.lastDetections = detections.length;
    this.metrics.inferred.inc({ camera, detector: item.detector });
    this.outputs.detections({ camera, seq: frame.seq, ts: frame.ts, width: frame.width, height: frame.height, detections, detector: item.detector, inferenceMs: item.inferenceMs });
    const results = evaluateRules(detections, state.detect, state.params, { modelLabels: state.usesModel ? this.model?.classNames : ['motion'] });
    for (const violation of state.debouncer.update({ seq: frame.seq, ts: frame.ts }, results)) {
      state.counters.violations += 1;
      this.metrics.violations.inc({ camera, rule: violation.rule });
      await this.outputs.violation(violation).catch((error: Error) => this.logger.warn(`camera ${camera}: cannot record violation ${violation.rule}: ${error.message}`));
    }
    this.outputs.annotated(frame, await annotateFrame(item.decoded, detections));
  }

  private async writeStatus(): Promise<void> {
    if (this.cameras.size === 0) return;
    const entries: string[] = [];
    for (const [id, { state }] of this.cameras) {
      entries.push(id, JSON.stringify({ camera: id, ...state.counters, problem: state.problem, detector: state.usesModel ? this.model?.name ?? null : 'motion', updatedAt: Date.now() }));
    }
    await this.status.hset(keys.inferenceStatus, ...entries).catch(() => undefined);
  }
}
