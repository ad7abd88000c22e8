import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigError, describeRefusal, loadCamerasFile, SourcePolicy, VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import type { CameraConfig, CameraStatus } from '@vigil/contracts';
import { PipelinePlanner } from '@vigil/media';
import { CoalescingTask } from '@vigil/platform';
import { CameraRegistry, CameraShares, planCameras, type CameraShare } from '@vigil/redis';
import { CameraRunner } from './camera-runner';
import { IngestMetrics } from './ingest-metrics';

/**
 * Runs a CameraRunner for every enabled camera in the registry that falls to this replica: the replicas divide the
 * cameras between them (CameraShare), and each holds a lease on the cameras it captures. Reconciles on every
 * registry change message and on a timer (which also renews the heartbeat and leases), so a missed message only
 * delays a change, never loses it.
 */
@Injectable()
export class IngestService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Ingest');
  private readonly runners = new Map<string, CameraRunner>();
  private timer?: NodeJS.Timeout;
  private readonly reconciler = new CoalescingTask(() => this.reconcileOnce(), (error) => this.logger.warn(`cannot reconcile cameras: ${error.message}`));
  private shuttingDown = false;
  private readonly share: CameraShare;

  constructor(
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
    private readonly registry: CameraRegistry,
    shares: CameraShares,
    private readonly planner: PipelinePlanner,
    private readonly metrics: IngestMetrics,
    private readonly policy: SourcePolicy,
  ) {
    this.share = shares.for('ingest');
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.camerasFile) {
      const cameras = loadCamerasFile(this.config.camerasFile);
      await this.refuseOutsidePolicy(cameras, this.config.camerasFile);
      for (const camera of cameras) await this.registry.upsert(camera);
      this.logger.log(`loaded ${cameras.length} camera(s) from ${this.config.camerasFile}`);
    }
    await this.reconcile();
    this.timer = setInterval(() => void this.reconcile(), Math.max(500, Math.floor(this.config.leaseMs / 3)));
  }

  /** The cameras file is a boundary like the REST API: a camera the source policy refuses stops the start. */
  private async refuseOutsidePolicy(cameras: CameraConfig[], file: string): Promise<void> {
    for (const [index, camera] of cameras.entries()) {
      const verdict = await this.policy.check(camera);
      if (!verdict.ok) throw new ConfigError(`${file}: cameras[${index}].${describeRefusal(verdict)}`);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    clearInterval(this.timer);
    await this.reconciler.stop();
    const captured = [...this.runners.keys()];
    await Promise.all(
      [...this.runners.values()].map(async (runner) => {
        await this.stopRunner(runner.camera.id);
        // leave no "live" status behind for a camera nobody captures any more
        await this.registry.setStatus({ ...runner.status(), state: 'offline', reason: 'ingest instance stopped', fps: 0 }).catch(() => undefined);
      }),
    );
    // the other replicas take these cameras at their next reconcile rather than when the leases run out
    await this.share.leave(captured).catch((error: Error) => this.logger.warn(`cannot leave the ingest replicas: ${error.message}`));
  }

  /** Status of the cameras this instance captures (the registry has everyone's). */
  localStatuses(): CameraStatus[] {
    return [...this.runners.values()].map((runner) => runner.status());
  }

  /** Brings the running captures in line with the registry; concurrent calls coalesce. */
  reconcile(): Promise<void> {
    return this.reconciler.run();
  }

  private async reconcileOnce(): Promise<void> {
    if (this.shuttingDown) return;
    const wanted = new Map((await this.registry.list()).filter((camera) => camera.enabled).map((camera) => [camera.id, camera]));
    const running = new Map([...this.runners].map(([id, runner]) => [id, runner.camera]));
    const plan = planCameras(running, wanted, await this.share.reconcile([...wanted.keys()]));
    for (const { id, reason } of plan.stop) {
      if (reason === 'moved') this.logger.log(`camera ${id}: another ingest replica takes it over`);
      await this.stopRunner(id);
      if (reason === 'removed') {
        await this.share.release([id]);
        await this.registry.clearStatus(id);
      }
    }
    for (const camera of plan.start) this.startRunner(camera);
  }

  private startRunner(camera: CameraConfig): void {
    const runner = new CameraRunner(camera, {
      planner: this.planner,
      policy: this.policy,
      registry: this.registry,
      metrics: this.metrics,
      config: this.config,
      logger: this.logger,
    });
    this.runners.set(camera.id, runner);
    runner.start();
  }

  private async stopRunner(id: string): Promise<void> {
    const runner = this.runners.get(id);
    if (!runner) return;
    this.runners.delete(id);
    await runner.stop();
    this.metrics.forget(id);
  }
}
