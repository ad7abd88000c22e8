/** Where ffmpeg finds the preset: the child's fd 3 (see privateFd). */
export const PRESET_FD = 3;

// ffmpeg reads a preset with fgets into 1000 bytes: a longer line would be cut, and its rest read as another option
const PRESET_LINE_BYTES = 998;

/**
 * An ffmpeg preset: one `key=value` line each, the value running to the end of the line. A line break would start a
 * line of the caller's choosing, so control characters are refused; so is a line ffmpeg would cut.
 */
export function presetLines(options: Readonly<Record<string, string>>): string {
  let text = '';
  for (const [key, value] of Object.entries(options)) {
    if (value === '') continue;
    // eslint-disable-next-line no-control-regex
    if (/[\0-\x1f\x7f]/.test(value)) throw new RangeError('the url holds a control character');
    const line = `${key}=${value}`;
    if (Buffer.byteLength(line) > PRESET_LINE_BYTES) throw new RangeError(`the url's ${key.replace('rtmp_', '')} is too long for ffmpeg (at most ${PRESET_LINE_BYTES - key.length - 1} bytes)`);
    text += `${line}\n`;
  }
  return text;
}
