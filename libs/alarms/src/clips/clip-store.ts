import { constants } from 'node:fs';
import { access, mkdir, readdir, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { isAlarmId } from '@vigil/contracts';
import { InvalidAlarmIdError } from './errors';
import { isPartialName, partialPath } from './partial-file';
import { alarmIdTime, planRetention, type StoredAlarm } from './retention';

export interface ClipStoreOptions {
  dir: string;
  /** clips and snapshots older than this (by the alarm's start) are deleted. Default 7 days. */
  maxAgeMs?: number;
  /** beyond this many bytes in all, the oldest alarms' files are deleted. Default 10 GiB. */
  maxBytes?: number;
  /** a partial file younger than this may be a write in progress and is left alone. Default 60 s. */
  partialGraceMs?: number;
  /**
   * while the file system holds less free space than this, the oldest alarms' files are deleted too (a full disk
   * fails every clip). Default 0: no floor.
   */
  minFreeBytes?: number;
}

export interface RetentionOutcome {
  /** alarms whose clip and snapshot were deleted, for the caller to mark their records */
  deleted: string[];
  /** what the store holds afterwards */
  bytes: number;
  /** leftovers of writes that never finished (a crash mid-encode) */
  partialsRemoved: number;
  /** free bytes on the store's file system afterwards */
  freeBytes: number;
}

export type StoredKind = 'clip' | 'snapshot';

const DEFAULTS = { maxAgeMs: 7 * 24 * 3600_000, maxBytes: 10 * 1024 ** 3, partialGraceMs: 60_000, minFreeBytes: 0 };
const EXTENSIONS: Record<StoredKind, string> = { clip: '.mp4', snapshot: '.jpg' };
const STORED_NAME = /^([0-9a-z]{9}[0-9a-f]{10})\.(mp4|jpg)$/;

/**
 * Alarm clips and snapshots as `<dir>/<id>.mp4` and `<dir>/<id>.jpg`. Only alarm ids reach a path, so no request
 * can name a file elsewhere; files of other names in the directory are never touched.
 */
export class ClipStore {
  readonly dir: string;
  private readonly limits: Required<Omit<ClipStoreOptions, 'dir'>>;
  private opened?: Promise<void>;

  constructor(options: ClipStoreOptions) {
    this.dir = resolve(options.dir);
    this.limits = {
      maxAgeMs: options.maxAgeMs ?? DEFAULTS.maxAgeMs,
      maxBytes: options.maxBytes ?? DEFAULTS.maxBytes,
      partialGraceMs: options.partialGraceMs ?? DEFAULTS.partialGraceMs,
      minFreeBytes: options.minFreeBytes ?? DEFAULTS.minFreeBytes,
    };
  }

  /**
   * Creates the directory; throws naming it when it cannot be written, so the service refuses to start. Every
   * caller gets the same promise: whoever touches the directory first (the clip recorder or the retention pass,
   * which start side by side) waits for it to exist.
   */
  open(): Promise<void> {
    this.opened ??= this.create();
    return this.opened;
  }

  private async create(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true });
      await access(this.dir, constants.W_OK);
    } catch (error) {
      throw new Error(`clip store ${this.dir} is not usable: ${(error as Error).message}`);
    }
  }

  clipPath(id: string): string {
    return this.pathOf(id, 'clip');
  }

  snapshotPath(id: string): string {
    return this.pathOf(id, 'snapshot');
  }

  /** Writes the snapshot under a temporary name and renames it, so a reader never gets half a JPEG. */
  async writeSnapshot(id: string, jpeg: Buffer): Promise<void> {
    const path = this.snapshotPath(id);
    const partial = partialPath(path);
    try {
      await writeFile(partial, jpeg);
      await rename(partial, path);
    } finally {
      await rm(partial, { force: true });
    }
  }

  async has(id: string, kind: StoredKind = 'clip'): Promise<boolean> {
    try {
      return (await stat(this.pathOf(id, kind))).isFile();
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  /** Deletes an alarm's clip and snapshot; either may already be gone. */
  async remove(id: string): Promise<void> {
    await Promise.all([rm(this.clipPath(id), { force: true }), rm(this.snapshotPath(id), { force: true })]);
  }

  /**
   * Deletes alarms older than maxAgeMs, then the oldest until the store fits in maxBytes and the disk has
   * minFreeBytes free, skipping the ids in `keep`; also partial files old enough to be leftovers of a crash.
   */
  async enforceRetention(now: number = Date.now(), keep?: ReadonlySet<string>): Promise<RetentionOutcome> {
    const { stored, partialsRemoved } = await this.scan(now);
    const freeBefore = await this.freeBytes();
    const { maxAgeMs, maxBytes, minFreeBytes } = this.limits;
    const deleted = planRetention(stored, { now, maxAgeMs, maxBytes, keep, freeBytes: Math.max(0, minFreeBytes - freeBefore) });
    for (const id of deleted) await this.remove(id);
    const gone = new Set(deleted);
    const bytes = stored.filter((alarm) => !gone.has(alarm.id)).reduce((sum, alarm) => sum + alarm.bytes, 0);
    return { deleted, bytes, partialsRemoved, freeBytes: deleted.length ? await this.freeBytes() : freeBefore };
  }

  /** Free bytes on the store's file system, as an unprivileged writer gets them. */
  async freeBytes(): Promise<number> {
    const fs = await statfs(this.dir);
    return fs.bavail * fs.bsize;
  }

  private async scan(now: number): Promise<{ stored: StoredAlarm[]; partialsRemoved: number }> {
    const byId = new Map<string, StoredAlarm>();
    let partialsRemoved = 0;
    for (const entry of await readdir(this.dir, { withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const match = STORED_NAME.exec(entry.name);
      const partial = !match && isPartialName(entry.name);
      if (!match && !partial) continue;
      const info = await stat(resolve(this.dir, entry.name)).catch((error: unknown) => {
        if (isMissing(error)) return undefined; // deleted since the listing (say, by remove())
        throw error;
      });
      if (!info) continue;
      if (partial) {
        if (now - info.mtimeMs > this.limits.partialGraceMs) {
          await rm(resolve(this.dir, entry.name), { force: true });
          partialsRemoved += 1;
        }
        continue;
      }
      const id = match![1];
      const alarm = byId.get(id) ?? { id, bytes: 0, time: alarmIdTime(id) };
      alarm.bytes += info.size;
      byId.set(id, alarm);
    }
    return { stored: [...byId.values()], partialsRemoved };
  }

  private pathOf(id: string, kind: StoredKind): string {
    if (!isAlarmId(id)) throw new InvalidAlarmIdError(id);
    const path = resolve(this.dir, id + EXTENSIONS[kind]);
    // the id pattern already rules out separators and dots; this holds even if the pattern is ever loosened
    if (!path.startsWith(this.dir.endsWith(sep) ? this.dir : this.dir + sep)) throw new InvalidAlarmIdError(id);
    return path;
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
