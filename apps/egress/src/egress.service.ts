import { BeforeApplicationShutdown, Inject, Injectable, Logger, NotFoundException, OnApplicationBootstrap } from '@nestjs/common';
import { loadCamerasFile, SourcePolicy, VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { type CameraConfig, channels, readFrameMessage, type EgressStatus } from '@vigil/contracts';
import { RegistryFollowers, type RegistryFollower } from '@vigil/kernel';
import { BusSubscriber, type MessageHandler } from '@vigil/redis';
import { EgressAudio } from './egress-audio';
import { EgressEncoders } from './egress-encoders';
import { EgressMetrics } from './egress-metrics';
import { Pusher } from './push/pusher';

interface Entry {
  pusher: Pusher;
  channel: string;
  handler: MessageHandler;
}

/**
 * One Pusher per enabled camera with an `egress` section, subscribed to its frames (annotated by default, which is
 * what makes inference draw them). Follows the camera registry (a RegistryFollower with the egress share): replicas
 * divide the cameras, and a stream is pushed by one replica, never two at once. A changed config restarts the push.
 */
@Injectable()
export class EgressService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Egress');
  private readonly entries = new Map<string, Entry>();
  private readonly follower: RegistryFollower;

  constructor(
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
    private readonly bus: BusSubscriber,
    private readonly encoders: EgressEncoders,
    private readonly metrics: EgressMetrics,
    private readonly policy: SourcePolicy,
    private readonly audio: EgressAudio,
    followers: RegistryFollowers,
  ) {
    this.follower = followers.create({
      name: 'egress',
      share: 'egress',
      logger: this.logger,
      filter: (camera) => camera.enabled && camera.egress?.enabled === true,
      start: (camera) => this.start(camera),
      stop: (id) => this.stop(id),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    // ingest loads the file into the registry; egress alone still refuses a bad one at start, naming the field
    if (this.config.camerasFile) loadCamerasFile(this.config.camerasFile);
    const choice = await this.encoders.init();
    this.logger.log(`encoder: ${choice.reason}`);
    await this.follower.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.follower.stop();
  }

  statuses(): EgressStatus[] {
    return [...this.entries.values()].map((entry) => entry.pusher.status()).sort((a, b) => a.camera.localeCompare(b.camera));
  }

  status(camera: string): EgressStatus {
    const entry = this.entries.get(camera);
    if (!entry) throw new NotFoundException(`camera "${camera}" has no egress here`);
    return entry.pusher.status();
  }

  private async start(camera: CameraConfig): Promise<void> {
    const egress = camera.egress!;
    const id = camera.id;
    const pusher = new Pusher({
      camera: id,
      config: egress,
      encoder: await this.encoders.forCamera(egress),
      reconnect: this.config.reconnect,
      // a name may resolve to a blocked network at any time, so each push start asks again
      admit: (url) => this.policy.admitTarget(url),
      audio: () => this.audio.plan(camera),
      sourceUrl: camera.url,
      logger: this.logger,
      events: { ...this.metrics.events(), state: (status) => this.metrics.setState(id, status.state) },
    });
    this.metrics.setState(id, pusher.status().state);
    const channel = channels.frames(id, egress.stream);
    const handler: MessageHandler = (message) => {
      const read = readFrameMessage(message, { camera: id, stream: egress.stream }, this.config.frameMaxBytes);
      const frame = this.metrics.badMessages.accept(id, channel, read);
      if (frame) pusher.offer(frame);
    };
    this.entries.set(id, { pusher, channel, handler });
    this.logger.log(`camera ${id}: egress of the ${egress.stream} stream to ${pusher.status().url}`);
    await this.bus.add(id, channel, handler);
  }

  private async stop(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    await this.bus.remove(id, entry.channel, entry.handler).catch(() => undefined);
    await entry.pusher.close();
    this.metrics.forget(id);
    this.logger.log(`camera ${id}: egress stopped`);
  }
}
