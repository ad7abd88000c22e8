import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { channels, isPanorama, readFrameMessage, stitchConflict, stitchInputsOf, type CameraConfig, type CameraStatus, type Frame, type StitchStatus } from '@vigil/contracts';
import { RegistryFollowers, type FollowerStopReason, type RegistryFollower } from '@vigil/kernel';
import { BusSubscriber, CameraRegistry, CameraStatuses, FramePublisher, RedisConnections, StitchCalibrations, StitchStatuses, type MessageHandler } from '@vigil/redis';
import { Panorama, type InputSubscriber } from './panorama/panorama';
import { STITCH_ENGINE, type StitchEngine } from './panorama/stitch-engine';
import { StitchMetrics } from './stitch-metrics';

/** how often every panorama's status is written (and its time-outs looked at) */
const STATUS_INTERVAL_MS = 1000;

/**
 * Makes every enabled panorama camera (url `stitch://left,right`) that falls to this replica: the replicas divide
 * them (a RegistryFollower with the stitch share), so one replica makes a given panorama. Each is a Panorama worker;
 * its state is written to Redis (StitchStatuses, and CameraStatuses as the camera's own status, so the page and the
 * metrics show it like any camera). After each pass the registry is checked across cameras again: an input that is
 * gone or became a panorama puts the panorama in `error`.
 */
@Injectable()
export class StitchService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Stitch');
  private readonly panoramas = new Map<string, Panorama>();
  private readonly follower: RegistryFollower;
  private readonly publisher: FramePublisher;
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
    @Inject(STITCH_ENGINE) private readonly engine: StitchEngine,
    private readonly bus: BusSubscriber,
    private readonly registry: CameraRegistry,
    private readonly statuses: StitchStatuses,
    private readonly captureStatuses: CameraStatuses,
    private readonly calibrations: StitchCalibrations,
    private readonly metrics: StitchMetrics,
    connections: RedisConnections,
    followers: RegistryFollowers,
  ) {
    this.publisher = new FramePublisher(connections.create('stitch-frames'), {
      maxBytes: config.frameMaxBytes,
      onError: (error) => this.logger.warn(`cannot publish a panorama frame: ${error.message}`),
    });
    this.follower = followers.create({
      name: 'stitch',
      share: 'stitch',
      logger: this.logger,
      filter: (camera) => camera.enabled && isPanorama(camera),
      start: (camera) => this.start(camera),
      stop: (id, reason) => this.stop(id, reason),
      afterPass: () => this.checkInputs(),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.follower.start();
    this.timer = setInterval(() => void this.writeStatuses(), STATUS_INTERVAL_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.follower.stop();
  }

  /** POST /api/stitch/:id/calibrate reached this process: calibrate now if the panorama is made here. */
  calibrate(id: string): void {
    this.panoramas.get(id)?.calibrateNow();
  }

  private async start(camera: CameraConfig): Promise<void> {
    const inputs = stitchInputsOf(camera)!;
    const { pairToleranceMs, driftMs, recalibrateMinMs } = this.config.stitch;
    const panorama = new Panorama({
      camera: camera.id,
      inputs,
      jpegQuality: camera.jpegQuality,
      engine: this.engine,
      subscribe: this.subscriber(),
      publish: (frame) => this.publisher.publish(frame),
      store: this.calibrations,
      settings: { toleranceMs: pairToleranceMs, driftMs, recalibrateMinMs, inputTimeoutMs: this.config.watchdogMs },
      owner: this.config.instanceId,
      logger: this.logger,
      events: { ...this.metrics.events(camera.id, inputs), status: (status) => void this.write([status]) },
    });
    await panorama.start();
    this.panoramas.set(camera.id, panorama);
    this.logger.log(`camera ${camera.id}: panorama of "${inputs[0]}" (left) and "${inputs[1]}" (right)`);
  }

  private async stop(id: string, reason: FollowerStopReason): Promise<void> {
    const panorama = this.panoramas.get(id);
    if (!panorama) return;
    this.panoramas.delete(id);
    await panorama.stop();
    await this.metrics.forget(id);
    // leave no "live" status behind for a panorama nobody makes any more
    if (reason === 'removed') await Promise.all([this.statuses.delete(id), this.captureStatuses.delete(id)]).catch(() => undefined);
    if (reason === 'shutdown') await this.write([{ ...panorama.status(), state: 'error', reason: 'the stitch replica making it stopped', fps: 0 }]);
    this.logger.log(`camera ${id}: panorama stopped (${reason})`);
  }

  /** Each input's raw frames, checked (a bad one is dropped and counted), on that input's own bus connection. */
  private subscriber(): InputSubscriber {
    return async (input, onFrame) => {
      const channel = channels.frames(input, 'raw');
      const handler: MessageHandler = (message) => {
        const frame: Frame | undefined = this.metrics.badMessages.accept(input, channel, readFrameMessage(message, { camera: input, stream: 'raw' }, this.config.frameMaxBytes));
        if (frame) onFrame(frame);
      };
      await this.bus.add(input, channel, handler);
      return () => this.bus.remove(input, channel, handler);
    };
  }

  /** The registry is input too: a panorama whose input is gone, or is a panorama itself, cannot be made. */
  private async checkInputs(): Promise<void> {
    if (this.panoramas.size === 0) return;
    const cameras = new Map((await this.registry.list()).map((camera) => [camera.id, camera]));
    for (const [id, panorama] of this.panoramas) {
      const camera = cameras.get(id);
      if (!camera) continue;
      const problem = stitchConflict(camera, cameras);
      panorama.setProblem(problem?.replace(/^url: /, ''));
    }
  }

  private async writeStatuses(): Promise<void> {
    await this.write([...this.panoramas.values()].map((panorama) => panorama.tick()));
  }

  private async write(statuses: StitchStatus[]): Promise<void> {
    if (statuses.length === 0) return;
    for (const status of statuses) this.metrics.setState(status.camera, status.state);
    try {
      await Promise.all([this.statuses.put(...statuses), this.captureStatuses.put(...statuses.map(captureStatus))]);
    } catch (error) {
      this.logger.debug(`cannot write panorama statuses: ${(error as Error).message}`);
    }
  }
}

/** A panorama's state as its camera status: what the page and the camera metrics read for every camera. */
function captureStatus(status: StitchStatus): CameraStatus {
  return {
    id: status.camera,
    state: status.state === 'calibrating' ? 'connecting' : status.state,
    ...(status.reason ? { reason: status.reason } : {}),
    decoder: 'stitch',
    ...(status.width !== undefined ? { width: status.width, height: status.height } : {}),
    frames: status.published,
    fps: status.fps,
    reconnects: 0,
    since: status.since,
    owner: status.owner,
    updatedAt: status.updatedAt,
  };
}
