import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { channels, decodeFrameOf, type AlarmClip, type AlarmRecord, type Frame } from '@vigil/contracts';
import { annotateFrame, DecodedFrame } from '@vigil/detect';
import { AlarmSettings, ClipEncoder, ClipRecording, ClipStore, clipWindow, type ClipWindow, FrameRing, selectClipFrames } from '@vigil/alarms';
import { BusSubscriber, CameraRegistry, type MessageHandler } from '@vigil/redis';
import { AlarmsMetrics } from '../alarms-metrics';

const RECONCILE_MS = 2000;
/** the ring reaches this much further back than `pre`, so a late violation still finds its frames */
const RING_MARGIN_MS = 3000;
/** a clip whose camera stopped sending is encoded with what it has this long after its window's end */
const STALL_GRACE_MS = 3000;

interface Watch {
  ring: FrameRing<Frame>;
  handler: MessageHandler;
}

interface Recording {
  alarm: Pick<AlarmRecord, 'id' | 'camera'>;
  recording: ClipRecording<Frame>;
  /** the clip's final window, known once the alarm ended */
  final?: ClipWindow;
  timer?: NodeJS.Timeout;
  finishing?: Promise<void>;
}

export type ClipListener = (update: Pick<AlarmRecord, 'id' | 'clip'>) => Promise<void>;

/**
 * Keeps a ring of the last seconds of every detection camera's frames and turns them into alarm clips: the ring's
 * frames when an alarm starts, live frames while it lasts and `post` seconds after, then one MP4 per alarm (encoded
 * by ffmpeg in a child process) and the snapshot of the triggering frame with its boxes drawn.
 */
@Injectable()
export class ClipCapture implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Clips');
  private readonly watches = new Map<string, Watch>();
  private readonly recordings = new Map<string, Recording>();
  private readonly listeners: ClipListener[] = [];
  readonly store: ClipStore;
  private encoder!: ClipEncoder;
  private timer?: NodeJS.Timeout;
  private stopping = false;

  constructor(
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
    private readonly settings: AlarmSettings,
    private readonly registry: CameraRegistry,
    private readonly bus: BusSubscriber,
    private readonly metrics: AlarmsMetrics,
  ) {
    const { dir, retention } = config.alarms;
    this.store = new ClipStore({ dir, maxAgeMs: retention.maxAgeMs, maxBytes: retention.maxBytes });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.store.open();
    this.encoder = await ClipEncoder.create({ preference: this.config.alarms.encoder });
    this.logger.log(`clips in ${this.store.dir}, encoder: ${this.encoder.reason}`);
    await this.reconcile();
    this.timer = setInterval(() => void this.reconcile(), RECONCILE_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    // what has been recorded is encoded now rather than lost; the alarms carry on after the restart
    await Promise.all([...this.recordings.values()].map((entry) => this.finish(entry)));
    for (const id of [...this.watches.keys()]) await this.unwatch(id);
  }

  onClip(listener: ClipListener): void {
    this.listeners.push(listener);
  }

  /** Ids of clips still being recorded or encoded (retention must leave their files alone). */
  busy(): Set<string> {
    return new Set(this.recordings.keys());
  }

  /** Starts recording an alarm's clip from the ring; returns whether its snapshot was written. Idempotent. */
  async begin(alarm: AlarmRecord): Promise<boolean> {
    const ring = this.watches.get(alarm.camera)?.ring;
    if (!this.recordings.has(alarm.id)) this.record(alarm, ring?.frames() ?? []);
    if (!ring) return false;
    const frame = ring.find(alarm.seq) ?? nearest(ring.frames(), alarm.startedAt);
    if (!frame) return false;
    try {
      const decoded = new DecodedFrame(frame);
      try {
        await this.store.writeSnapshot(alarm.id, await annotateFrame(decoded, alarm.detections));
      } finally {
        decoded.release();
      }
      return true;
    } catch (error) {
      this.logger.warn(`alarm ${alarm.id} (camera ${alarm.camera}): no snapshot: ${(error as Error).message}`);
      return false;
    }
  }

  /** After a restart: an open alarm records again from now (what was recorded before is gone). */
  resume(alarm: AlarmRecord): void {
    if (!this.recordings.has(alarm.id)) this.record(alarm, this.watches.get(alarm.camera)?.ring.frames() ?? []);
  }

  /** The alarm ended: its clip ends `post` after its last violation, and is encoded once the frames are in. */
  end(alarm: AlarmRecord): void {
    const entry = this.recordings.get(alarm.id);
    if (!entry || entry.final) return;
    const { preMs, postMs, maxClipMs } = this.settings.policy;
    entry.final = clipWindow(alarm, { preMs, postMs, maxMs: maxClipMs });
    const newest = entry.recording.frames().at(-1)?.ts ?? Number.NEGATIVE_INFINITY;
    if (newest >= entry.final.to || entry.recording.complete) {
      void this.finish(entry);
      return;
    }
    // the camera may have stopped sending: encode what there is a little after the window's end
    const wait = Math.max(0, entry.final.to - Date.now()) + STALL_GRACE_MS;
    entry.timer = setTimeout(() => void this.finish(entry), wait);
  }

  private record(alarm: AlarmRecord, initial: Frame[]): void {
    const { preMs, maxClipMs } = this.settings.policy;
    const from = alarm.startedAt - preMs;
    // open-ended until the alarm ends (then `final` trims it); the cap bounds a violation that never stops
    const recording = new ClipRecording<Frame>({ id: alarm.id, camera: alarm.camera, window: { from, to: from + maxClipMs }, maxMs: maxClipMs }, initial);
    this.recordings.set(alarm.id, { alarm: { id: alarm.id, camera: alarm.camera }, recording });
  }

  private onFrame(camera: string, message: Buffer): void {
    const watch = this.watches.get(camera);
    if (!watch) return;
    const frame = decodeFrameOf(camera, message, (line) => this.logger.warn(line));
    if (!frame) return;
    const dropped = watch.ring.stats.dropped;
    watch.ring.push(frame);
    if (watch.ring.stats.dropped > dropped) this.metrics.ringDropped.inc({ camera }, watch.ring.stats.dropped - dropped);
    for (const entry of this.recordings.values()) {
      if (entry.alarm.camera !== camera || entry.finishing) continue;
      entry.recording.push(frame);
      if (entry.recording.complete || (entry.final && frame.ts > entry.final.to)) void this.finish(entry);
    }
  }

  /** Encodes a recording once; the listeners hear `encoding`, then `ready` or `failed`. */
  private finish(entry: Recording): Promise<void> {
    entry.finishing ??= this.encode(entry);
    return entry.finishing;
  }

  private async encode(entry: Recording): Promise<void> {
    clearTimeout(entry.timer);
    entry.recording.finish();
    const { id, camera } = entry.alarm;
    const frames = entry.final ? selectClipFrames(entry.recording.frames(), entry.final) : entry.recording.frames();
    let clip: AlarmClip;
    if (frames.length === 0) {
      clip = { state: 'failed', error: 'no frames were received for the clip window (camera offline, or the alarms service restarted)' };
    } else {
      await this.tell({ id, clip: { state: 'encoding', frames: frames.length } });
      const started = performance.now();
      try {
        const encoded = await this.encoder.encode({ id, camera, frames, path: this.store.clipPath(id) });
        this.metrics.clipSeconds.inc({ encoder: encoded.encoder }, (performance.now() - started) / 1000);
        clip = { state: 'ready', from: encoded.from, to: encoded.to, frames: encoded.frames, bytes: encoded.bytes, encoder: encoded.encoder };
        const omitted = entry.recording.stats.omitted;
        if (omitted) this.logger.warn(`alarm ${id} (camera ${camera}): ${omitted} frame(s) left out of the clip to stay within its bounds`);
      } catch (error) {
        this.logger.warn(`alarm ${id} (camera ${camera}): clip failed: ${(error as Error).message}`);
        clip = { state: 'failed', error: (error as Error).message.slice(0, 500) };
      }
    }
    this.metrics.clips.inc({ camera, outcome: clip.state });
    this.recordings.delete(id);
    await this.tell({ id, clip });
  }

  private async tell(update: Pick<AlarmRecord, 'id' | 'clip'>): Promise<void> {
    for (const listener of this.listeners) await listener(update).catch((error: Error) => this.logger.warn(`alarm ${update.id}: ${error.message}`));
  }

  private async reconcile(): Promise<void> {
    if (this.stopping) return;
    let wanted: string[];
    try {
      wanted = (await this.registry.list()).filter((camera) => camera.enabled && camera.detect?.enabled).map((camera) => camera.id);
    } catch (error) {
      this.logger.warn(`cannot read the camera registry: ${(error as Error).message}`);
      return;
    }
    for (const id of this.watches.keys()) if (!wanted.includes(id)) await this.unwatch(id);
    for (const id of wanted) if (!this.watches.has(id)) await this.watch(id);
  }

  private async watch(camera: string): Promise<void> {
    const maxAgeMs = this.settings.policy.preMs + RING_MARGIN_MS;
    const watch: Watch = { ring: new FrameRing<Frame>({ camera, maxAgeMs }), handler: (message) => this.onFrame(camera, message) };
    this.watches.set(camera, watch);
    await this.bus.add(channels.frames(camera, 'raw'), watch.handler);
  }

  private async unwatch(camera: string): Promise<void> {
    const watch = this.watches.get(camera);
    if (!watch) return;
    this.watches.delete(camera);
    await this.bus.remove(channels.frames(camera, 'raw'), watch.handler);
  }
}

/** The frame captured closest to `ts`. */
function nearest(frames: readonly Frame[], ts: number): Frame | undefined {
  let best: Frame | undefined;
  for (const frame of frames) if (!best || Math.abs(frame.ts - ts) < Math.abs(best.ts - ts)) best = frame;
  return best;
}
