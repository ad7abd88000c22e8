import type { TimedFrame } from './clip-frame';
import type { ClipWindow } from './clip-window';

/**
 * The frames of a clip covering `window`, in capture order: every frame captured in [from, to], and the last one
 * before `from` unless a frame lies exactly at `from`, so the clip shows what the camera saw at the window's start.
 * Frames may come in any order and more than once; a seq seen twice keeps its earliest capture time. Frames with
 * a capture time that is not a number are left out.
 */
export function selectClipFrames<F extends TimedFrame>(frames: Iterable<F>, window: ClipWindow): F[] {
  const { from, to } = window;
  const sorted = [...frames].filter((frame) => Number.isFinite(frame.ts)).sort(byCapture);
  const seen = new Set<number>();
  const unique = sorted.filter((frame) => !seen.has(frame.seq) && seen.add(frame.seq));

  const inside = unique.filter((frame) => frame.ts >= from && frame.ts <= to);
  if (inside[0]?.ts === from) return inside;
  const lead = unique.filter((frame) => frame.ts < from).pop();
  // only when the window has frames of its own: a lone frame from before it is no clip of this window
  return lead && inside.length > 0 ? [lead, ...inside] : inside;
}

function byCapture(a: TimedFrame, b: TimedFrame): number {
  return a.ts - b.ts || a.seq - b.seq;
}
