import { BeforeApplicationShutdown, Inject, Injectable, Logger, NotFoundException, OnApplicationBootstrap } from '@nestjs/common';
import { loadCamerasFile, SourcePolicy, VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { type CameraConfig, channels, readFrameMessage, type EgressStatus } from '@vigil/contracts';
import { CoalescingTask } from '@vigil/platform';
import { BusSubscriber, CameraRegistry, CameraShares, planCameras, type CameraShare, type MessageHandler } from '@vigil/redis';
import { EgressEncoders } from './egress-encoders';
import { EgressMetrics } from './egress-metrics';
import { Pusher } from './push/pusher';

/** the registry is read this often too, so a missed change message only delays a change */
const RECONCILE_MS = 2000;

interface Entry {
  pusher: Pusher;
  channel: string;
  handler: MessageHandler;
  /** the camera's config the pusher was made for: another one restarts it */
  camera: CameraConfig;
}

/**
 * One Pusher per enabled camera with an `egress` section, subscribed to its frames (annotated by default, which is
 * what makes inference draw them). Follows the camera registry like ingest: on every registry change message and
 * on a timer. Replicas divide the cameras (CameraShare): a stream is pushed by one replica, never two at once.
 */
@Injectable()
export class EgressService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Egress');
  private readonly entries = new Map<string, Entry>();
  private timer?: NodeJS.Timeout;
  private readonly reconciler = new CoalescingTask(() => this.reconcileOnce(), (error) => this.logger.warn(`cannot reconcile egress: ${error.message}`));
  private stopping = false;
  private readonly share: CameraShare;

  constructor(
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
    private readonly registry: CameraRegistry,
    private readonly bus: BusSubscriber,
    private readonly encoders: EgressEncoders,
    private readonly metrics: EgressMetrics,
    private readonly policy: SourcePolicy,
    shares: CameraShares,
  ) {
    this.share = shares.for('egress');
  }

  async onApplicationBootstrap(): Promise<void> {
    // ingest loads the file into the registry; egress alone still refuses a bad one at start, naming the field
    if (this.config.camerasFile) loadCamerasFile(this.config.camerasFile);
    const choice = await this.encoders.init();
    this.logger.log(`encoder: ${choice.reason}`);
    await this.reconcile();
    this.timer = setInterval(() => void this.reconcile(), Math.min(RECONCILE_MS, Math.floor(this.config.leaseMs / 3)));
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.reconciler.stop();
    const pushing = [...this.entries.keys()];
    await Promise.all(pushing.map((id) => this.stop(id)));
    // the other replicas take these cameras at their next reconcile rather than when the leases run out
    await this.share.leave(pushing).catch((error: Error) => this.logger.warn(`cannot leave the egress replicas: ${error.message}`));
  }

  statuses(): EgressStatus[] {
    return [...this.entries.values()].map((entry) => entry.pusher.status()).sort((a, b) => a.camera.localeCompare(b.camera));
  }

  status(camera: string): EgressStatus {
    const entry = this.entries.get(camera);
    if (!entry) throw new NotFoundException(`camera "${camera}" has no egress here`);
    return entry.pusher.status();
  }

  /** Brings the pushers in line with the registry; concurrent calls coalesce. */
  reconcile(): Promise<void> {
    return this.reconciler.run();
  }

  private async reconcileOnce(): Promise<void> {
    if (this.stopping) return;
    const wanted = new Map((await this.registry.list()).filter((camera) => camera.enabled && camera.egress?.enabled).map((camera) => [camera.id, camera]));
    const running = new Map([...this.entries].map(([id, entry]) => [id, entry.camera]));
    const plan = planCameras(running, wanted, await this.share.reconcile([...wanted.keys()]));
    for (const { id, reason } of plan.stop) {
      if (reason === 'moved') this.logger.log(`camera ${id}: another egress replica takes it over`);
      await this.stop(id);
      if (reason === 'removed') await this.share.release([id]);
    }
    for (const camera of plan.start) await this.start(camera);
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
    this.entries.set(id, { pusher, channel, handler, camera });
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
