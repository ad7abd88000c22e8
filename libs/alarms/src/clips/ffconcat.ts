/** One picture of a clip as the concat list names it: its file (relative to the list) and capture time. */
export interface ConcatEntry {
  file: string;
  ts: number;
}

export interface ConcatPlan {
  /** the ffconcat list */
  text: string;
  /** how long each picture shows, ms, in order */
  durationsMs: number[];
  /** the clip's length: from the first picture to the end of the last one's display */
  totalMs: number;
}

/** Shown for the last picture of a one-picture clip, where there is no gap to measure. */
export const SINGLE_PICTURE_MS = 100;

/**
 * An ffconcat list that shows each picture until the next one was captured, so the clip keeps the camera's real
 * timing (a stall stays a stall). The last picture shows for the median gap, a typical frame interval.
 *
 * Two quirks of ffmpeg's concat demuxer are handled here: each picture file gets `framerate 1000`, or its
 * timestamps are rounded to the image demuxer's default 1/25 s; and the last picture is listed once more with no
 * duration, because the duration of the last entry is otherwise ignored and the clip would end as that picture
 * appears (so the file holds one sample more than the clip has frames: the last picture, held).
 * Entries must be in capture order; equal times are spaced 1 ms apart so that no two share a timestamp.
 */
export function buildFfconcat(entries: readonly ConcatEntry[]): ConcatPlan {
  if (entries.length === 0) throw new RangeError('a concat list needs at least one picture');
  const gaps = entries.slice(1).map((entry, i) => Math.max(1, Math.round(entry.ts - entries[i].ts)));
  const durationsMs = [...gaps, gaps.length > 0 ? median(gaps) : SINGLE_PICTURE_MS];
  const lines = ['ffconcat version 1.0'];
  entries.forEach((entry, i) => lines.push(...picture(entry.file), `duration ${(durationsMs[i] / 1000).toFixed(3)}`));
  lines.push(...picture(entries[entries.length - 1].file));
  return { text: lines.join('\n') + '\n', durationsMs, totalMs: durationsMs.reduce((sum, ms) => sum + ms, 0) };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : Math.round((sorted[middle - 1] + sorted[middle]) / 2);
}

function picture(file: string): string[] {
  // names are ours (digits and .jpg); anything else could break out of the quotes
  if (!/^[\w.-]+$/.test(file)) throw new RangeError(`unsafe file name in a concat list: ${JSON.stringify(file)}`);
  return [`file '${file}'`, 'option framerate 1000'];
}
