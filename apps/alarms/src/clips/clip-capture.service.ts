import { join } from 'node:path';
import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { channels, readFrameMessage, type AlarmClip, type AlarmRecord, type Frame } from '@vigil/contracts';
import { annotateFrame, DecodedFrame } from '@vigil/detect';
import { AlarmSettings, ClipEncodeError, ClipEncoder, ClipMemory, ClipRecording, ClipStore, clipWindow, type ClipWindow, FrameRing, selectClipFrames, type StagedClip, type StagedClipWriter, StagedClips } from '@vigil/alarms';
import { RegistryFollowers, type RegistryFollower } from '@vigil/kernel';
import { BusSubscriber, type MessageHandler } from '@vigil/redis';
import { AlarmsMetrics } from '../alarms-metrics';

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
  /** aborted at shutdown: an encode in flight stops, and the frames are staged instead */
  abort: AbortController;
  /** writes the recording's frames through to its staged folder as they come, so that a crash loses none */
  writer?: StagedClipWriter;
  /** its frames are staged on disk, to be removed once the clip is settled */
  staged?: boolean;
}

/** A clip's state changed, or (`snapshot: true`) the snapshot was written later than the alarm's start. */
export type ClipListener = (update: Pick<AlarmRecord, 'id'> & Partial<Pick<AlarmRecord, 'clip' | 'snapshot'>>) => Promise<void>;

/**
 * Keeps a ring of the last seconds of every detection camera's frames and turns them into alarm clips: the ring's
 * frames when an alarm starts, live frames while it lasts and `post` seconds after, then one MP4 per alarm (encoded
 * by ffmpeg in a child process) and the snapshot of the triggering frame with its boxes drawn.
 *
 * Every recording's frames are written through to a staged folder on disk as they arrive, so that a crash (SIGKILL)
 * loses none of them; a shutdown does not wait for encodes, which take seconds, but for those writes (milliseconds).
 * The next start encodes the staged clips, or records on from them for an alarm still open.
 * The alarms service starts it (`start`), so that the staged clips are known before it resumes open alarms.
 */
@Injectable()
export class ClipCapture implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Clips');
  private readonly watches = new Map<string, Watch>();
  private readonly recordings = new Map<string, Recording>();
  /** alarms whose snapshot waits for a frame: they began before the camera's first frame was in its ring */
  private readonly pendingSnapshots = new Map<string, AlarmRecord>();
  /** each camera's clip memory budget, shared by its ring and its recordings (ALARM_CLIP_MEMORY_MB) */
  private readonly memories = new Map<string, ClipMemory>();
  private readonly listeners: ClipListener[] = [];
  private readonly diskFullListeners: (() => void)[] = [];
  readonly store: ClipStore;
  private readonly staged: StagedClips;
  /** ids of staged clips not yet taken up */
  private stagedIds = new Set<string>();
  private encoder!: ClipEncoder;
  private readonly follower: RegistryFollower;

  constructor(
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
    private readonly settings: AlarmSettings,
    private readonly bus: BusSubscriber,
    private readonly metrics: AlarmsMetrics,
    followers: RegistryFollowers,
  ) {
    const { dir, retention } = config.alarms;
    this.store = new ClipStore({ dir, ...retention });
    this.staged = new StagedClips(join(this.store.dir, 'staged'));
    metrics.observeClipMemory(() => [...this.memories].map(([camera, memory]) => [camera, memory.total]));
    // every alarms replica keeps the ring of every detection camera: a violation may come to any of them
    this.follower = followers.create({
      name: 'clip capture',
      share: 'none',
      logger: this.logger,
      filter: (camera) => camera.enabled && camera.detect?.enabled === true,
      start: (camera) => this.watch(camera.id),
      stop: (id) => this.unwatch(id),
      // the ring holds the camera's frames whatever its config: a changed one keeps it
      changed: () => undefined,
    });
  }

  /** Opens the store, picks the encoder, finds the clips the last shutdown staged, and starts watching cameras. */
  async start(): Promise<void> {
    await this.store.open();
    this.encoder = await ClipEncoder.create({ preference: this.config.alarms.encoder });
    this.logger.log(`clips in ${this.store.dir}, encoder: ${this.encoder.reason}`);
    if (this.encoder.leftoversRemoved) this.logger.log(`removed ${this.encoder.leftoversRemoved} clip work folder(s) that a killed process left in the temp directory`);
    this.stagedIds = new Set(await this.staged.ids());
    await this.follower.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    const entries = [...this.recordings.values()];
    for (const entry of entries) {
      clearTimeout(entry.timer);
      entry.abort.abort();
    }
    // aborted encodes end at once (ffmpeg is killed); one that finished meanwhile left `recordings`
    await Promise.allSettled(entries.map((entry) => entry.finishing));
    await Promise.all([...this.recordings.values()].map((entry) => this.stage(entry)));
    await this.follower.stop();
  }

  /**
   * Clips the last shutdown staged whose alarm was not resumed (it had ended): encoded now, in the background, one
   * at a time like any clip. Call after resuming the open alarms.
   */
  finishStaged(): void {
    const ids = [...this.stagedIds];
    this.stagedIds.clear();
    for (const id of ids) {
      void this.staged
        .load(id)
        .then((clip) => {
          const entry = this.record({ id, camera: clip.camera }, clip.frames, false);
          entry.final = clip.final;
          void this.finish(entry);
        })
        .catch((error: Error) => this.dropStaged(id, error));
    }
  }

  onClip(listener: ClipListener): void {
    this.listeners.push(listener);
  }

  /** A clip failed because a disk was full (its own clip is marked failed; the listener may free space for the next). */
  onDiskFull(listener: () => void): void {
    this.diskFullListeners.push(listener);
  }

  /** Ids of clips still being recorded or encoded (retention must leave their files alone). */
  busy(): Set<string> {
    return new Set(this.recordings.keys());
  }

  /**
   * Starts recording an alarm's clip from the ring; returns whether its snapshot was written. Idempotent. An alarm
   * that comes before the camera's first frame reached the ring (right after a start, before the camera is
   * watched) gets its snapshot from the next frame, and the listeners hear `snapshot: true` then.
   */
  async begin(alarm: AlarmRecord): Promise<boolean> {
    const ring = this.watches.get(alarm.camera)?.ring;
    if (!this.recordings.has(alarm.id)) this.record(alarm, ring?.frames() ?? []);
    const frame = ring && (ring.find(alarm.seq) ?? nearest(ring.frames(), alarm.startedAt));
    if (!frame) {
      this.pendingSnapshots.set(alarm.id, alarm);
      return false;
    }
    return this.snapshot(alarm, frame);
  }

  private async snapshot(alarm: AlarmRecord, frame: Frame): Promise<boolean> {
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

  /**
   * After a restart: an open alarm records on, from the frames the shutdown staged (the clip then shows the gap as
   * it happened) and from what the ring holds.
   */
  async resume(alarm: AlarmRecord): Promise<void> {
    if (this.recordings.has(alarm.id)) return;
    const ring = this.watches.get(alarm.camera)?.ring.frames() ?? [];
    let clip: StagedClip | undefined;
    if (this.stagedIds.delete(alarm.id)) {
      try {
        clip = await this.staged.load(alarm.id);
      } catch (error) {
        await this.dropStaged(alarm.id, error as Error);
      }
    }
    // the staged folder records on: the ring's frames (newer than what it holds) are appended to it
    this.record(alarm, [...(clip?.frames ?? []), ...ring], clip);
  }

  /** The alarm ended: its clip ends `post` after its last violation, and is encoded once the frames are in. */
  end(alarm: AlarmRecord): void {
    const entry = this.recordings.get(alarm.id);
    if (!entry || entry.final) return;
    const { preMs, postMs, maxClipMs } = this.settings.policy;
    entry.final = clipWindow(alarm, { preMs, postMs, maxMs: maxClipMs });
    entry.writer?.setFinal(entry.final);
    const newest = entry.recording.frames().at(-1)?.ts ?? Number.NEGATIVE_INFINITY;
    if (newest >= entry.final.to || entry.recording.complete) {
      void this.finish(entry);
      return;
    }
    // the camera may have stopped sending: encode what there is a little after the window's end
    const wait = Math.max(0, entry.final.to - Date.now()) + STALL_GRACE_MS;
    entry.timer = setTimeout(() => void this.finish(entry), wait);
  }

  /**
   * Starts a recording. `write`: write its frames through to a staged folder, a new one, or (a StagedClip) the one it
   * resumes; false for a staged clip of an ended alarm, whose frames are all on disk already.
   */
  private record(alarm: Pick<AlarmRecord, 'id' | 'camera'> & { startedAt?: number }, initial: Frame[], write: StagedClip | boolean = true): Recording {
    const { id, camera } = alarm;
    const { preMs, maxClipMs } = this.settings.policy;
    // a staged clip of an ended alarm starts with its first frame; the window is trimmed by `final` anyway
    const from = alarm.startedAt === undefined ? (initial[0]?.ts ?? Date.now()) : alarm.startedAt - preMs;
    // open-ended until the alarm ends (then `final` trims it); the cap bounds a violation that never stops
    const memory = this.memoryOf(camera);
    const entry: Recording = { alarm: { id, camera }, recording: undefined!, abort: new AbortController(), staged: write !== true };
    const onKeep = (frame: Frame): void => entry.writer?.append([frame]);
    entry.recording = new ClipRecording<Frame>({ id, camera, window: { from, to: from + maxClipMs }, maxMs: maxClipMs, memory, onKeep }, initial);
    if (write) {
      const onError = (error: Error): void => this.logger.warn(`alarm ${id} (camera ${camera}): its clip's frames are no longer staged on disk (a crash would lose them): ${error.message}`);
      entry.writer = write === true ? this.staged.writer({ id, camera }, onError) : this.staged.resume(write, onError);
      entry.staged = true;
      // what the recording holds so far (its opening frame included); frames already in a resumed folder are skipped
      entry.writer.append(entry.recording.frames());
    }
    this.recordings.set(id, entry);
    return entry;
  }

  /**
   * Makes sure a recording's frames are on disk for the next start: its writer's last writes, or, where the writer
   * fell behind or failed, the whole clip written again; nothing is encoded now.
   */
  private async stage(entry: Recording): Promise<void> {
    const { id, camera } = entry.alarm;
    entry.recording.finish();
    const frames = entry.final ? selectClipFrames(entry.recording.frames(), entry.final) : entry.recording.frames();
    await entry.writer?.close();
    if (frames.length === 0) return;
    try {
      if (!entry.writer?.complete) await this.staged.save({ id, camera, final: entry.final, frames });
      this.logger.log(`alarm ${id} (camera ${camera}): ${frames.length} frame(s) of its clip kept for the next start`);
    } catch (error) {
      this.logger.warn(`alarm ${id} (camera ${camera}): cannot keep its clip's frames for the next start: ${(error as Error).message}`);
    }
  }

  private async dropStaged(id: string, error: Error): Promise<void> {
    this.logger.warn(`alarm ${id}: staged clip dropped: ${error.message}`);
    await this.staged.remove(id).catch(() => undefined);
  }

  private onFrame(camera: string, message: Buffer): void {
    const watch = this.watches.get(camera);
    if (!watch) return;
    const read = readFrameMessage(message, { camera, stream: 'raw' }, this.config.frameMaxBytes);
    const frame = this.metrics.badMessages.accept(camera, channels.frames(camera, 'raw'), read);
    if (!frame) return;
    const dropped = watch.ring.stats.dropped;
    // the recordings share the ring's copy, so that a frame is in memory once
    const kept = watch.ring.push(frame) ?? frame;
    if (watch.ring.stats.dropped > dropped) this.metrics.ringDropped.inc({ camera }, watch.ring.stats.dropped - dropped);
    for (const alarm of this.pendingSnapshots.values()) {
      if (alarm.camera !== camera) continue;
      this.pendingSnapshots.delete(alarm.id);
      void this.snapshot(alarm, kept).then(async (written) => {
        if (written) await this.tell({ id: alarm.id, snapshot: true });
      });
    }
    for (const entry of this.recordings.values()) {
      if (entry.alarm.camera !== camera || entry.finishing) continue;
      entry.recording.push(kept);
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
    // the staged folder stays until the clip settles: a crash during the encode encodes it at the next start
    await entry.writer?.close();
    const { id, camera } = entry.alarm;
    const frames = entry.final ? selectClipFrames(entry.recording.frames(), entry.final) : entry.recording.frames();
    let clip: AlarmClip;
    if (frames.length === 0) {
      clip = { state: 'failed', error: 'no frames were received for the clip window (camera offline, or the alarms service restarted)' };
    } else {
      await this.tell({ id, clip: { state: 'encoding', frames: frames.length } });
      const started = performance.now();
      try {
        const encoded = await this.encoder.encode({ id, camera, frames, path: this.store.clipPath(id), signal: entry.abort.signal });
        this.metrics.clipSeconds.inc({ encoder: encoded.encoder }, (performance.now() - started) / 1000);
        const omitted = entry.recording.stats.omitted;
        clip = { state: 'ready', from: encoded.from, to: encoded.to, frames: encoded.frames, bytes: encoded.bytes, encoder: encoded.encoder, ...(omitted ? { omitted } : {}) };
        if (omitted) {
          this.metrics.clipOmitted.inc({ camera }, omitted);
          this.logger.warn(`alarm ${id} (camera ${camera}): ${omitted} frame(s) left out of the clip to stay within its memory bounds`);
        }
      } catch (error) {
        if (entry.abort.signal.aborted) return; // a shutdown: the frames are staged, the next start encodes them
        this.logger.warn(`alarm ${id} (camera ${camera}): clip failed: ${(error as Error).message}`);
        clip = { state: 'failed', error: (error as Error).message.slice(0, 500) };
        if (error instanceof ClipEncodeError && error.diskFull) for (const listener of this.diskFullListeners) listener();
      }
    }
    this.metrics.clips.inc({ camera, outcome: clip.state });
    this.recordings.delete(id);
    this.pendingSnapshots.delete(id);
    entry.recording.release();
    this.dropIdleMemory(camera);
    if (entry.staged) await this.staged.remove(id).catch((error: Error) => this.logger.warn(`alarm ${id}: cannot remove its staged frames: ${error.message}`));
    await this.tell({ id, clip });
  }

  private async tell(update: Parameters<ClipListener>[0]): Promise<void> {
    for (const listener of this.listeners) await listener(update).catch((error: Error) => this.logger.warn(`alarm ${update.id}: ${error.message}`));
  }

  private memoryOf(camera: string): ClipMemory {
    let memory = this.memories.get(camera);
    if (!memory) {
      memory = new ClipMemory(this.config.alarms.clipMemoryBytes, () => this.watches.get(camera)?.ring.bytes ?? 0);
      this.memories.set(camera, memory);
    }
    return memory;
  }

  /** A camera neither watched nor recording holds nothing: forget its budget and its series (camera ids come and go). */
  private dropIdleMemory(camera: string): void {
    if (this.watches.has(camera)) return;
    for (const entry of this.recordings.values()) if (entry.alarm.camera === camera) return;
    this.memories.delete(camera);
    void this.metrics.forget(camera);
  }

  private async watch(camera: string): Promise<void> {
    const maxAgeMs = this.settings.policy.preMs + RING_MARGIN_MS;
    // the ring takes at most a quarter of the camera's budget, so that its recordings always have room
    const maxBytes = Math.floor(this.config.alarms.clipMemoryBytes / 4);
    const watch: Watch = { ring: new FrameRing<Frame>({ camera, maxAgeMs, maxBytes }), handler: (message) => this.onFrame(camera, message) };
    this.watches.set(camera, watch);
    this.memoryOf(camera);
    await this.bus.add(camera, channels.frames(camera, 'raw'), watch.handler);
  }

  private async unwatch(camera: string): Promise<void> {
    const watch = this.watches.get(camera);
    if (!watch) return;
    this.watches.delete(camera);
    this.dropIdleMemory(camera);
    await this.bus.remove(camera, channels.frames(camera, 'raw'), watch.handler);
  }
}

/** The frame captured closest to `ts`. */
function nearest(frames: readonly Frame[], ts: number): Frame | undefined {
  let best: Frame | undefined;
  for (const frame of frames) if (!best || Math.abs(frame.ts - ts) < Math.abs(best.ts - ts)) best = frame;
  return best;
}
