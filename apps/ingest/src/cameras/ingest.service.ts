import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SourcePolicy, VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { isPanorama, type CameraConfig, type CameraStatus } from '@vigil/contracts';
import { RegistryFollowers, type FollowerStopReason, type RegistryFollower } from '@vigil/kernel';
import { CapturePool, PipelinePlanner } from '@vigil/media';
import { CameraRegistry } from '@vigil/redis';
import { CameraRunner } from './camera-runner';
import { CamerasFileSeed } from './cameras-file-seed';
import { IngestMetrics } from './ingest-metrics';

/**
 * Runs a CameraRunner for every enabled camera in the registry that falls to this replica: the replicas divide the
 * cameras between them and each holds a lease on the cameras it captures (a RegistryFollower with the ingest share).
 * Before each pass the cameras file is put back if Redis lost its data (CamerasFileSeed).
 */
@Injectable()
export class IngestService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Ingest');
  private readonly runners = new Map<string, CameraRunner>();
  private readonly follower: RegistryFollower;
  private readonly captures: CapturePool;

  constructor(
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
    private readonly registry: CameraRegistry,
    followers: RegistryFollowers,
    private readonly seed: CamerasFileSeed,
    private readonly planner: PipelinePlanner,
    private readonly metrics: IngestMetrics,
    private readonly policy: SourcePolicy,
  ) {
    this.captures = new CapturePool({
      camerasPerProcess: config.camerasPerCaptureProcess,
      nice: config.captureProcessNice,
      onProcesses: (count) => metrics.captureProcesses.set(count),
      onQuarantine: (camera, why) => this.logger.warn(`camera ${camera}: runs in a capture process of its own for a while: ${why}`),
    });
    this.follower = followers.create({
      name: 'ingest',
      share: 'ingest',
      logger: this.logger,
      // a panorama is made by the stitch service from its inputs' frames: nothing to capture
      filter: (camera) => camera.enabled && !isPanorama(camera),
      beforePass: () => this.seed.restoreIfLost(this.follower.registered),
      start: (camera) => this.startRunner(camera),
      stop: (id, reason) => this.stopRunner(id, reason),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.seed.seed();
    await this.follower.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.follower.stop();
  }

  /** Status of the cameras this instance captures (the registry has everyone's). */
  localStatuses(): CameraStatus[] {
    return [...this.runners.values()].map((runner) => runner.status());
  }

  private startRunner(camera: CameraConfig): void {
    const runner = new CameraRunner(camera, {
      planner: this.planner,
      policy: this.policy,
      registry: this.registry,
      metrics: this.metrics,
      config: this.config,
      logger: this.logger,
      startCapture: (job) => this.captures.start(job),
    });
    this.runners.set(camera.id, runner);
    runner.start();
  }

  private async stopRunner(id: string, reason: FollowerStopReason): Promise<void> {
    const runner = this.runners.get(id);
    if (!runner) return;
    this.runners.delete(id);
    await runner.stop();
    this.metrics.forget(id);
    // leave no "live" status behind for a camera nobody captures any more
    if (reason === 'removed') await this.registry.clearStatus(id);
    if (reason === 'shutdown') await this.registry.setStatus({ ...runner.status(), state: 'offline', reason: 'ingest instance stopped', fps: 0 });
  }
}
