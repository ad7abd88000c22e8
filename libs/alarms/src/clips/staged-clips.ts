import { lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { CAMERA_ID_PATTERN, isAlarmId, type Frame } from '@vigil/contracts';
import type { ClipFrame } from './clip-frame';
import type { ClipWindow } from './clip-window';
import { InvalidAlarmIdError } from './errors';

/** A staged clip holds at most this many frames (10 minutes at 30 fps, the longest clip ALARM_CLIP_MAX_SECONDS allows). */
export const MAX_STAGED_FRAMES = 18_000;
/** and no frame file larger than this (a 4K JPEG at quality 100 is under 8 MiB) */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** and no more than this in all (a minute of 1080p at 30 fps is about 360 MiB) */
const MAX_CLIP_BYTES = 1024 * 1024 * 1024;
const MANIFEST = 'clip.json';
/** a manifest of MAX_STAGED_FRAMES entries is about 1.5 MB */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const WRITE_BATCH = 32;
const FRAME_NAME = /^\d{6}\.jpg$/;

/** A clip whose recording a shutdown interrupted: what the next start needs to finish it. */
export interface StagedClip {
  id: string;
  camera: string;
  /** the clip's final window when the alarm had ended; absent while it was still open */
  final?: ClipWindow;
  frames: Frame[];
}

const manifestSchema = z
  .object({
    version: z.literal(1),
    id: z.string().refine(isAlarmId, 'not an alarm id'),
    camera: z.string().regex(CAMERA_ID_PATTERN),
    final: z.object({ from: z.number().finite(), to: z.number().finite() }).strict().optional(),
    frames: z
      .array(
        z
          .object({
            file: z.string().regex(FRAME_NAME),
            seq: z.number().int().nonnegative(),
            ts: z.number().finite().nonnegative(),
            width: z.number().int().min(1).max(65535),
            height: z.number().int().min(1).max(65535),
          })
          .strict(),
      )
      .max(MAX_STAGED_FRAMES),
  })
  .strict();

/**
 * Clips interrupted by a shutdown, kept as their JPEG frames under `<dir>/<id>/` until the next start encodes them
 * (or, for an alarm still open, records on from them). Encoding at shutdown would take seconds the orchestrator
 * does not give; writing the frames takes milliseconds, and nothing recorded is lost. What is read back is checked
 * like any input: the folder may have been edited, truncated by a crash, or planted.
 */
export class StagedClips {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** Writes a clip's frames and manifest under a temporary name, then renames it into place. */
  async save(clip: { id: string; camera: string; final?: ClipWindow; frames: readonly ClipFrame[] }): Promise<void> {
    const target = this.pathOf(clip.id);
    const work = `${target}.partial`;
    const frames = clip.frames.slice(-MAX_STAGED_FRAMES);
    await rm(work, { recursive: true, force: true });
    await mkdir(work, { recursive: true });
    try {
      const entries = frames.map((frame, i) => ({ file: `${String(i).padStart(6, '0')}.jpg`, seq: frame.seq, ts: frame.ts, width: frame.width, height: frame.height }));
      // a few files at a time: thousands of writes at once would run out of file descriptors
      for (let i = 0; i < frames.length; i += WRITE_BATCH) {
        await Promise.all(frames.slice(i, i + WRITE_BATCH).map((frame, j) => writeFile(join(work, entries[i + j].file), frame.data)));
      }
      const manifest: z.input<typeof manifestSchema> = { version: 1, id: clip.id, camera: clip.camera, ...(clip.final ? { final: clip.final } : {}), frames: entries };
      await writeFile(join(work, MANIFEST), JSON.stringify(manifest));
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

  /** Reads a staged clip back; throws naming what is wrong with it. */
  async load(id: string): Promise<StagedClip> {
    const folder = this.pathOf(id);
    const manifestPath = join(folder, MANIFEST);
    const info = await lstat(manifestPath);
    if (!info.isFile() || info.size > MAX_MANIFEST_BYTES) throw new Error(`staged clip ${id}: ${MANIFEST} is not a plain file of at most ${MAX_MANIFEST_BYTES} bytes`);
    const parsed = manifestSchema.safeParse(JSON.parse(await readFile(manifestPath, 'utf8')));
    if (!parsed.success) throw new Error(`staged clip ${id}: bad manifest: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
    const manifest = parsed.data;
    if (manifest.id !== id) throw new Error(`staged clip ${id}: its manifest names alarm ${manifest.id}`);
    const frames: Frame[] = [];
    let total = 0;
    for (const entry of manifest.frames) {
      const path = join(folder, entry.file);
      const info = await lstat(path);
      if (!info.isFile()) throw new Error(`staged clip ${id}: ${entry.file} is not a plain file`);
      const size = info.size;
      total += size;
      if (size > MAX_FRAME_BYTES) throw new Error(`staged clip ${id}: ${entry.file} is ${size} bytes`);
      if (total > MAX_CLIP_BYTES) throw new Error(`staged clip ${id}: its frames pass ${MAX_CLIP_BYTES} bytes`);
      const data = await readFile(path);
      frames.push({ camera: manifest.camera, stream: 'raw', format: 'jpeg', seq: entry.seq, ts: entry.ts, width: entry.width, height: entry.height, data });
    }
    return { id, camera: manifest.camera, final: manifest.final, frames };
  }

  async remove(id: string): Promise<void> {
    await rm(this.pathOf(id), { recursive: true, force: true });
  }

  private pathOf(id: string): string {
    if (!isAlarmId(id)) throw new InvalidAlarmIdError(id);
    return join(this.dir, id);
  }
}
