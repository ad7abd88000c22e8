/** An id that is not an alarm id reached a file path: refused before it can name a file outside the store. */
export class InvalidAlarmIdError extends Error {
  override name = 'InvalidAlarmIdError';

  constructor(readonly value: unknown) {
    // only a short prefix: the value may be hostile and arbitrarily long
    super(`not an alarm id: ${JSON.stringify(String(value)).slice(0, 60)}`);
  }
}

/** One clip failed to encode; the message names the alarm and camera and carries ffmpeg's last output. */
export class ClipEncodeError extends Error {
  override name = 'ClipEncodeError';

  constructor(
    message: string,
    /** a disk was full (ENOSPC): freeing space (retention) lets later clips succeed */
    readonly diskFull = false,
  ) {
    super(message);
  }
}

/** A write that failed because its file system is full, as Node reports it. */
export function isDiskFull(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOSPC';
}

/** ffmpeg's words for the same (it prints strerror, not the code). */
export const FFMPEG_DISK_FULL = /No space left on device/i;
