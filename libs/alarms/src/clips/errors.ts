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
}
