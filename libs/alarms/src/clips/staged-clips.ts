import { type FileHandle, lstat, mkdir, open, readdir, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { CAMERA_ID_PATTERN, isAlarmId, type Frame } from '@vigil/contracts';
import type { ClipFrame } from './clip-frame';
import type { ClipWindow } from './clip-window';
import { InvalidAlarmIdError } from './errors';
import { type LogLimits, logRecord, readLog } from './staged-log';

/** A staged clip holds at most this many frames (10 minutes at 30 fps, the longest clip ALARM_CLIP_MAX_SECONDS allows). */
export const MAX_STAGED_FRAMES = 18_000;
const LIMITS: LogLimits = {
  maxFrames: MAX_STAGED_FRAMES,
  /** no frame larger than this (a 4K JPEG at quality 100 is under 8 MiB), with its envelope header */
  maxFrameBytes: 16 * 1024 * 1024 + 1024,
  /** and no more than this in all (a minute of 1080p at 30 fps is about 360 MiB) */
  maxBytes: 1024 * 1024 * 1024,
};
/**
 * Frames handed to a writer and not yet on disk, at most (a disk slower than the camera): past it frames are left
 * out of the staged copy and counted; the recording in memory still has them.
 */
const MAX_PENDING_BYTES = 32 * 1024 * 1024;
/** frames per write: three iovecs each, under IOV_MAX (1024) */
const WRITE_BATCH = 256;
const MANIFEST = 'clip.json';
const LOG = 'frames.log';
const MAX_MANIFEST_BYTES = 4096;

/** A clip whose recording a shutdown or a crash interrupted: what the next start needs to finish it. */
export interface StagedClip {
  id: string;
  camera: string;
  /** the clip's final window when the alarm had ended; absent while it was still open */
  final?: ClipWindow;
  frames: Frame[];
  /** where the frame log's last whole record ends (a record torn by a crash follows) */
  validBytes: number;
}

const manifestSchema = z
  .object({
    version: z.literal(2),
    id: z.string().refine(isAlarmId, 'not an alarm id'),
    camera: z.string().regex(CAMERA_ID_PATTERN),
    final: z.object({ from: z.number().finite(), to: z.number().finite() }).strict().optional(),
  })
  .strict();
type Manifest = z.infer<typeof manifestSchema>;

/**
 * Clips being recorded, kept on disk as they are recorded so that neither a shutdown nor a crash (SIGKILL, OOM,
 * power) loses what was recorded: under `<dir>/<id>/`, a manifest (`clip.json`: alarm, camera and, once the alarm
 * ended, the clip's final window) and the frames in an append-only log (`frames.log`, see staged-log.ts). The next
 * start encodes them, or records on from them for an alarm still open. What is read back is checked like any input:
 * the folder may have been edited, torn by a crash, or planted.
 */
export class StagedClips {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** A writer for a new recording's folder (any earlier folder of that alarm is replaced); `onError` hears the first failed write. */
  writer(clip: { id: string; camera: string }, onError?: (error: Error) => void): StagedClipWriter {
    return new StagedClipWriter(this.pathOf(clip.id), { version: 2, id: clip.id, camera: clip.camera }, undefined, onError);
  }

  /** A writer that appends to a folder read back by `load()` (a recording resumed after a restart). */
  resume(clip: StagedClip, onError?: (error: Error) => void): StagedClipWriter {
    const manifest: Manifest = { version: 2, id: clip.id, camera: clip.camera, ...(clip.final ? { final: clip.final } : {}) };
    return new StagedClipWriter(this.pathOf(clip.id), manifest, { validBytes: clip.validBytes, frames: clip.frames }, onError);
  }

  /** Writes a whole clip at once under a temporary name, then renames it into place (a shutdown whose writer fell behind). */
  async save(clip: { id: string; camera: string; final?: ClipWindow; frames: readonly ClipFrame[] }): Promise<void> {
    const target = this.pathOf(clip.id);
    const work = `${target}.partial`;
    const writer = new StagedClipWriter(work, { version: 2, id: clip.id, camera: clip.camera, ...(clip.final ? { final: clip.final } : {}) });
    writer.append(clip.frames);
    try {
      await writer.close();
      if (writer.failure) throw writer.failure;
      await rm(target, { recursive: true, force: true });
      await rename(work, target);
    } catch (error) {
      await rm(work, { recursive: true, force: true });
      throw error;
    }
  }

  /** Ids of the staged clips (folders named as an alarm id; anything else is left alone). */
  async ids(): Promise<string[]> {
    const entries = await readdir(this.dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    return entries.filter((entry) => entry.isDirectory() && isAlarmId(entry.name)).map((entry) => entry.name);
  }

  /** Reads a staged clip back; throws naming what is wrong with it. A record torn by a crash mid-append is left out. */
  async load(id: string): Promise<StagedClip> {
    const folder = this.pathOf(id);
    const what = `staged clip ${id}`;
    const manifestPath = join(folder, MANIFEST);
    const info = await lstat(manifestPath);
    if (!info.isFile() || info.size > MAX_MANIFEST_BYTES) throw new Error(`${what}: ${MANIFEST} is not a plain file of at most ${MAX_MANIFEST_BYTES} bytes`);
    const parsed = manifestSchema.safeParse(JSON.parse(await readFile(manifestPath, 'utf8')));
    if (!parsed.success) throw new Error(`${what}: bad manifest: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
    const manifest = parsed.data;
    if (manifest.id !== id) throw new Error(`${what}: its manifest names alarm ${manifest.id}`);
    const logPath = join(folder, LOG);
    const logInfo = await lstat(logPath).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined; // killed before the first append
      throw error;
    });
    if (logInfo && !logInfo.isFile()) throw new Error(`${what}: ${LOG} is not a plain file`);
    const log = logInfo ? await readLog(logPath, manifest.camera, LIMITS, what) : { frames: [], validBytes: 0 };
    return { id, camera: manifest.camera, final: manifest.final, frames: log.frames, validBytes: log.validBytes };
  }

  async remove(id: string): Promise<void> {
    await rm(this.pathOf(id), { recursive: true, force: true });
  }

  private pathOf(id: string): string {
    if (!isAlarmId(id)) throw new InvalidAlarmIdError(id);
    return join(this.dir, id);
  }
}

/**
 * Appends one recording's frames to its staged folder as they come, in capture order (a frame no newer than the
 * last one written is already there, or out of order: left out), a batch per write on one open file, never more
 * than MAX_PENDING_BYTES waiting. A failed write (a full disk) stops the writer: `failure` says why, `onError` hears
 * it once, and the recording in memory carries on. `complete` says whether the folder holds every frame it was given.
 */
export class StagedClipWriter {
  private chain: Promise<void>;
  private handle?: FileHandle;
  private pending: ClipFrame[] = [];
  private pendingBytes = 0;
  private draining = false;
  private closed = false;
  private lastTs = Number.NEGATIVE_INFINITY;
  private frames = 0;
  private bytes = 0;
  /** frames given and left out: past the bounds, behind a slow disk, or after a failed write */
  skipped = 0;
  failure?: Error;

  constructor(
    private readonly folder: string,
    private manifest: Manifest,
    resume?: { validBytes: number; frames: readonly ClipFrame[] },
    private readonly onError?: (error: Error) => void,
  ) {
    if (resume) {
      this.frames = resume.frames.length;
      this.bytes = resume.frames.reduce((sum, frame) => sum + frame.data.length, 0);
      this.lastTs = resume.frames.at(-1)?.ts ?? this.lastTs;
    }
    this.chain = this.guard(() => this.openLog(resume?.validBytes));
  }

  get complete(): boolean {
    return this.skipped === 0 && !this.failure;
  }

  append(frames: Iterable<ClipFrame>): void {
    for (const frame of frames) {
      if (frame.ts <= this.lastTs) continue;
      this.lastTs = frame.ts;
      const size = frame.data.length;
      const full = this.frames >= LIMITS.maxFrames || this.bytes + size > LIMITS.maxBytes || this.pendingBytes + size > MAX_PENDING_BYTES;
      if (this.failure || this.closed || full) {
        this.skipped += 1;
        continue;
      }
      this.pending.push(frame);
      this.pendingBytes += size;
      this.frames += 1;
      this.bytes += size;
    }
    if (this.pending.length > 0 && !this.draining) {
      this.draining = true;
      this.chain = this.chain.then(() => this.guard(() => this.drain()));
    }
  }

  /** The alarm ended: its window goes into the manifest, so a start after a crash encodes just that. */
  setFinal(window: ClipWindow): void {
    this.manifest = { ...this.manifest, final: { from: window.from, to: window.to } };
    this.chain = this.chain.then(() => this.guard(() => this.writeManifest()));
  }

  /** Waits for what was given to be written, and closes the file. */
  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
  }

  private async openLog(validBytes?: number): Promise<void> {
    const log = join(this.folder, LOG);
    if (validBytes === undefined) {
      await rm(this.folder, { recursive: true, force: true });
      await mkdir(this.folder, { recursive: true });
      await this.writeManifest();
    } else {
      await truncate(log, validBytes).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      }); // a torn record at the end would hide everything appended after it
    }
    this.handle = await open(log, 'a');
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0 && !this.failure) {
        const batch = this.pending.splice(0, WRITE_BATCH);
        await this.handle!.writev(batch.flatMap((frame) => logRecord(this.manifest.camera, frame)));
        this.pendingBytes -= batch.reduce((sum, frame) => sum + frame.data.length, 0);
      }
    } finally {
      this.draining = false;
    }
  }

  private async writeManifest(): Promise<void> {
    const path = join(this.folder, MANIFEST);
    await writeFile(`${path}.partial`, JSON.stringify(this.manifest));
    await rename(`${path}.partial`, path);
  }

  /** Runs one step unless a step failed before; the first failure stops the writer and is told once. */
  private async guard(step: () => Promise<void>): Promise<void> {
    if (this.failure) return;
    try {
      await step();
    } catch (error) {
      this.failure = error as Error;
      this.skipped += this.pending.length;
      this.pending = [];
      this.pendingBytes = 0;
      this.onError?.(this.failure);
    }
  }
}
