import type { CameraConfig } from '@vigil/contracts';
import { CoalescingTask } from '@vigil/platform';
import { planCameras, type CameraShare, type StopReason } from '@vigil/redis';
import { FOLLOWER_DEFAULTS } from './follower-defaults';
import { QuietWarnings, type FollowerLogger } from './quiet-warnings';

/**
 * Why a follower stops a camera's worker: the plan's reasons (removed from the registry, moved to another replica,
 * changed), `shutdown` (the process stops; the other replicas take it over), or `failed` (its start threw: undo
 * whatever the start did, it is tried again at the next pass).
 */
export type FollowerStopReason = StopReason | 'shutdown' | 'failed';

/** What a service does for the cameras it runs. Hooks may throw: the follower logs it, naming the camera. */
export interface FollowerHooks {
  start(camera: CameraConfig): Promise<void> | void;
  /** Called for a camera whose start succeeded, once per stop; idempotent all the same (also after a failed start). */
  stop(id: string, reason: FollowerStopReason): Promise<void> | void;
  /** The config of a running camera changed. Without this hook the worker is restarted: stop(id, 'changed'), then start. */
  changed?(camera: CameraConfig, previous: CameraConfig): Promise<void> | void;
  /** First thing in every pass, before the registry is read (ingest puts its cameras file back after Redis lost it). */
  beforePass?(): Promise<void>;
  /** Last thing in every pass that read the registry (inference writes its status). */
  afterPass?(): Promise<void>;
}

/** The part of CameraShare a follower uses. */
export type FollowerShare = Pick<CameraShare, 'reconcile' | 'release' | 'leave'>;

export interface RegistryFollowerOptions extends FollowerHooks {
  /** names the service in log lines: "ingest", "egress" */
  name: string;
  /** which of the registry's cameras this service runs */
  filter(camera: CameraConfig): boolean;
  registry: { list(): Promise<CameraConfig[]> };
  /**
   * Divide the cameras with this service's other replicas, holding a lease on each camera run here. Without one,
   * this replica runs every camera the filter takes (clip capture: each alarms replica keeps every ring).
   */
  share?: FollowerShare;
  /** the reconcile timer's period; see reconcileIntervalMs. Default: FOLLOWER_DEFAULTS.maxIntervalMs */
  intervalMs?: number;
  logger: FollowerLogger;
}

/**
 * Follows the camera registry for one service: runs exactly the cameras it should (the filter, and with a share
 * the ones this replica owns), each with its current config, through the service's start and stop hooks. Passes
 * run at start, on a timer (which also renews the heartbeat and leases) and on every `reconcile()` (the "cameras
 * changed" control message); calls while a pass runs coalesce into one more, so a missed message only delays a
 * change and a burst of them costs two passes. A failing pass is logged (once per distinct failure) and the timer
 * goes on. `stop()` ends the passes, stops every camera and hands them over to the other replicas.
 */
export class RegistryFollower {
  private readonly running = new Map<string, CameraConfig>();
  private readonly task: CoalescingTask;
  private readonly warnings: QuietWarnings;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private lastRegistered: ReadonlySet<string> = new Set();

  constructor(
    private readonly options: RegistryFollowerOptions,
    private readonly onStop?: (follower: RegistryFollower) => void,
  ) {
    this.warnings = new QuietWarnings(options.logger);
    this.task = new CoalescingTask(
      () => this.pass(),
      (error) => this.warnings.warn('pass', `cannot follow the camera registry: ${error.message}`),
    );
  }

  get name(): string {
    return this.options.name;
  }

  /** The cameras whose workers run here, with the config they were started with. */
  cameras(): ReadonlyMap<string, CameraConfig> {
    return this.running;
  }

  /** Ids of every camera the registry held at the last pass, taken by the filter or not. */
  get registered(): ReadonlySet<string> {
    return this.lastRegistered;
  }

  /** Runs a first pass, then starts the timer. */
  async start(): Promise<void> {
    await this.reconcile();
    if (this.stopped) return;
    this.timer = setInterval(() => void this.reconcile(), this.options.intervalMs ?? FOLLOWER_DEFAULTS.maxIntervalMs);
    // the process lives for its server, not for this timer
    this.timer.unref();
  }

  /** One more pass, now (or right after the one running); resolves when none is due. Never rejects. */
  reconcile(): Promise<void> {
    return this.task.run();
  }

  /** No more passes; stops every camera and leaves the share, so the other replicas take them at their next pass. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    // a pass still running could start a camera after the loop below stopped it
    await this.task.stop();
    const ids = [...this.running.keys()];
    await Promise.all(ids.map((id) => this.stopCamera(id, 'shutdown')));
    await this.options.share?.leave(ids).catch((error: Error) => this.options.logger.warn(`cannot leave the ${this.name} replicas: ${error.message}`));
    this.onStop?.(this);
  }

  private async pass(): Promise<void> {
    if (this.stopped) return;
    const { filter, registry, share } = this.options;
    await this.options.beforePass?.();
    const listed = await registry.list();
    const wanted = new Map(listed.filter((camera) => filter(camera)).map((camera) => [camera.id, camera]));
    const owned = share ? await share.reconcile([...wanted.keys()]) : new Set(wanted.keys());
    this.lastRegistered = new Set(listed.map((camera) => camera.id));
    this.warnings.clear('pass', `following the camera registry again`);
    if (this.stopped) return;
    const plan = planCameras(this.running, wanted, owned);
    const updated = new Set<string>();
    for (const { id, reason } of plan.stop) {
      const camera = wanted.get(id);
      if (reason === 'changed' && this.options.changed && camera) {
        await this.update(camera, this.running.get(id)!);
        updated.add(id);
        continue;
      }
      if (reason === 'moved') this.options.logger.log(`camera ${id}: another ${this.name} replica takes it over`);
      await this.stopCamera(id, reason);
      if (reason === 'removed') {
        this.warnings.forget(id);
        await share?.release([id]);
      }
    }
    for (const camera of plan.start) if (!updated.has(camera.id)) await this.startCamera(camera);
    await this.options.afterPass?.();
  }

  private async startCamera(camera: CameraConfig): Promise<void> {
    try {
      await this.options.start(camera);
      this.running.set(camera.id, camera);
      this.warnings.clear(camera.id, `camera ${camera.id}: ${this.name} started after all`);
    } catch (error) {
      this.warnings.warn(camera.id, `camera ${camera.id}: cannot start ${this.name}: ${(error as Error).message}`);
      await this.callStop(camera.id, 'failed');
    }
  }

  private async update(camera: CameraConfig, previous: CameraConfig): Promise<void> {
    try {
      await this.options.changed!(camera, previous);
      this.running.set(camera.id, camera);
    } catch (error) {
      // left with its old config: the next pass tries again
      this.warnings.warn(camera.id, `camera ${camera.id}: cannot apply the changed config to ${this.name}: ${(error as Error).message}`);
    }
  }

  private async stopCamera(id: string, reason: FollowerStopReason): Promise<void> {
    if (!this.running.delete(id)) return;
    await this.callStop(id, reason);
  }

  private async callStop(id: string, reason: FollowerStopReason): Promise<void> {
    try {
      await this.options.stop(id, reason);
    } catch (error) {
      this.warnings.warn(id, `camera ${id}: cannot stop ${this.name} (${reason}): ${(error as Error).message}`);
    }
  }
}
