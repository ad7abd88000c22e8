import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { channels, decodeFrameOf, keys, type CameraConfig, type Frame } from '@vigil/contracts';
import { BatchScheduler, LatestFrameSlots, ruleLabelProblems } from '@vigil/detect';
import { BusSubscriber, CameraRegistry, RedisConnections, type MessageHandler } from '@vigil/redis';
import type Redis from 'ioredis';
import { AnnotatedDemand } from './annotated-demand';
import { CameraDetection } from './cameras/camera-detection';
import { DetectionOutputs } from './detection-outputs';
import { DetectionStages, PIPELINE_BATCHES, type Prepared, type Ran } from './detection-stages';
import { InferenceMetrics } from './inference-metrics';
import { ModelRuntime, type LoadedModel } from './model/model-runtime';

const RECONCILE_MS = 2000;
const DEFAULT_BATCH = { size: 4, waitMs: 10 };

/**
 * Detection on the latest frame of every camera that asks for it: one slot per camera, batches
 * across cameras, motion gating, the model, rules, and the outputs (detections, annotated frames,
 * violations). Batches are pipelined: the next one is decoded and letterboxed while the model runs
 * the current one (see DetectionStages).
 */
@Injectable()
export class InferenceService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Inference');
  private readonly slots = new LatestFrameSlots<Frame>();
  private readonly cameras = new Map<string, { state: CameraDetection; handler: MessageHandler }>();
  private readonly demand = new AnnotatedDemand();
  private scheduler!: BatchScheduler<Frame, Prepared, Ran>;
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
    const stages = new DetectionStages({
      model: this.model,
      camera: (id) => this.cameras.get(id)?.state,
      outputs: this.outputs,
      metrics: this.metrics,
      demand: this.demand,
      logger: this.logger,
    });
    this.scheduler = new BatchScheduler(this.slots, { ...batch, pipeline: PIPELINE_BATCHES }, stages, (error) => this.logger.warn(`batch failed: ${error.message}`));
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
    this.demand.forget(id);
    await this.bus.remove(channels.frames(id, 'raw'), entry.handler);
    await this.status.hdel(keys.inferenceStatus, id).catch(() => undefined);
  }

  private onFrame(camera: string, message: Buffer): void {
    const entry = this.cameras.get(camera);
    if (!entry || entry.state.problem) return;
    const frame = decodeFrameOf(camera, message, (line) => this.logger.warn(line));
    if (!frame) return;
    if (this.slots.put(camera, frame)) {
      entry.state.counters.skipped += 1;
      this.metrics.skipped.inc({ camera });
    }
    this.scheduler.notify();
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
