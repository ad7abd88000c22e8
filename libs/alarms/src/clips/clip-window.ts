import type { AlarmRecord } from '@vigil/contracts';

/** Capture times, epoch ms, that a clip covers: both ends included. */
export interface ClipWindow {
  from: number;
  to: number;
}

export interface ClipTiming {
  /** how long before the alarm's first violation the clip starts */
  preMs: number;
  /** how long after the alarm's last violation it ends */
  postMs: number;
  /** the longest clip, from its start: a violation that never stops must not record forever */
  maxMs: number;
}

/**
 * The window of an alarm's clip: `pre` before its start to `post` after its last violation, capped at `maxMs`.
 * `endedAt` plays no part: an alarm ends a quiet time after its last violation, and the clip need not show that.
 */
export function clipWindow(alarm: Pick<AlarmRecord, 'startedAt' | 'lastSeenAt'>, timing: ClipTiming): ClipWindow {
  checkTiming(timing);
  const from = alarm.startedAt - timing.preMs;
  // a lastSeenAt before startedAt would be a bug upstream; the clip still covers the start
  const last = Math.max(alarm.startedAt, alarm.lastSeenAt);
  return { from, to: Math.min(last + timing.postMs, from + timing.maxMs) };
}

export function checkTiming(timing: ClipTiming): void {
  for (const key of ['preMs', 'postMs', 'maxMs'] as const) {
    const value = timing[key];
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`clip timing: ${key} must be a finite number >= 0, got ${value}`);
  }
  // otherwise the cap would end the clip before the alarm starts
  if (timing.maxMs <= timing.preMs) throw new RangeError(`clip timing: maxMs (${timing.maxMs}) must exceed preMs (${timing.preMs})`);
}
