import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { channels, readFrameMessage, type CameraConfig, type Frame, type InferenceStatus } from '@vigil/contracts';
import { BatchScheduler, LatestFrameSlots, ruleLabelProblems } from '@vigil/detect';
import { RegistryFollowers, type RegistryFollower } from '@vigil/kernel';
import { BusSubscriber, InferenceStatuses, type MessageHandler } from '@vigil/redis';
import { AnnotatedDemand } from './annotated-demand';
import { CameraDetection } from './cameras/camera-detection';
import { DetectionOutputs } from './detection-outputs';
import { DetectionStages, PIPELINE_BATCHES, type Prepared, type Ran } from './detection-stages';
import { InferenceMetrics } from './inference-metrics';
import { ModelRuntime, type LoadedModel } from './model/model-runtime';

const DEFAULT_BATCH = { size: 4, waitMs: 10 };

/**
 * Detection on the latest frame of every camera that asks for it, divided between the inference replicas (a
 * RegistryFollower with the inference share: each camera is run by one replica, and another takes it over when that
 * one stops): one slot per camera, batches across cameras, motion gating, the model, rules, and the outputs
 * (detections, annotated frames, violations). Batches are pipelined: the next one is decoded and letterboxed while
 * the model runs the current one (see DetectionStages).
 */
@Injectable()
export class InferenceService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Inference');
  private readonly slots = new LatestFrameSlots<Frame>();
  private readonly cameras = new Map<string, { state: CameraDetection; handler: MessageHandler }>();
  private readonly demand = new AnnotatedDemand();
  private scheduler!: BatchScheduler<Frame, Prepared, Ran>;
  private model?: LoadedModel;
  private readonly follower: RegistryFollower;

  constructor(
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
    private readonly bus: BusSubscriber,
    private readonly runtime: ModelRuntime,
    private readonly outputs: DetectionOutputs,
    private readonly metrics: InferenceMetrics,
    private readonly statuses: InferenceStatuses,
    followers: RegistryFollowers,
  ) {
    this.follower = followers.create({
      name: 'inference',
      share: 'inference',
      logger: this.logger,
      filter: (camera) => camera.enabled && camera.detect?.enabled === true,
      start: (camera) => this.startCamera(camera),
      stop: (id) => this.stopCamera(id),
      afterPass: () => this.writeStatus(),
    });
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
    await this.follower.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.scheduler?.stop();
    await this.follower.stop();
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
    await this.bus.add(camera.id, channels.frames(camera.id, 'raw'), handler);
    this.logger.log(`camera ${camera.id}: detection on (${state.usesModel ? `model${state.detect.motionGate ? ', motion-gated' : ''}` : 'motion'}, ${state.detect.rules.length} rule(s))`);
  }

  private async stopCamera(id: string): Promise<void> {
    const entry = this.cameras.get(id);
    if (!entry) return;
    this.cameras.delete(id);
    this.slots.drop(id);
    this.demand.forget(id);
    void this.metrics.forget(id);
    await this.bus.remove(id, channels.frames(id, 'raw'), entry.handler);
    await this.statuses.delete(id).catch(() => undefined);
  }

  private onFrame(camera: string, message: Buffer): void {
    const entry = this.cameras.get(camera);
    if (!entry || entry.state.problem) return;
    const read = readFrameMessage(message, { camera, stream: 'raw' }, this.config.frameMaxBytes);
    const frame = this.metrics.badMessages.accept(camera, channels.frames(camera, 'raw'), read);
    if (!frame) return;
    if (this.slots.put(camera, frame)) {
      entry.state.counters.skipped += 1;
      this.metrics.skipped.inc({ camera });
    }
    this.scheduler.notify();
  }

  private async writeStatus(): Promise<void> {
    if (this.cameras.size === 0) return;
    const statuses: InferenceStatus[] = [];
    for (const [id, { state }] of this.cameras) {
      statuses.push({ camera: id, owner: this.config.instanceId, ...state.counters, problem: state.problem, detector: state.usesModel ? this.model?.name ?? null : 'motion', updatedAt: Date.now() });
    }
    await this.statuses.put(...statuses).catch(() => undefined);
  }
}
