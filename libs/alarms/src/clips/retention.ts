/** One alarm's files in the clip store. */
export interface StoredAlarm {
  id: string;
  /** the clip and snapshot together */
  bytes: number;
  /** when the alarm started, epoch ms (from its id) */
  time: number;
}

export interface RetentionLimits {
  now: number;
  maxAgeMs: number;
  maxBytes: number;
  /** alarms whose files must stay whatever their age (say, a clip still being encoded) */
  keep?: ReadonlySet<string>;
  /** bytes still to free on the file system, beyond what maxAgeMs and maxBytes ask for (the disk is fuller than its floor) */
  freeBytes?: number;
}

/**
 * Which alarms' files to delete: every one older than maxAgeMs, then the oldest until the rest fit in maxBytes and
 * `freeBytes` are freed (the disk may be shared, or smaller than maxBytes: a full disk fails every later clip).
 * An alarm's clip and snapshot go together, so no record keeps a snapshot whose clip is gone or the other way round.
 */
export function planRetention(stored: readonly StoredAlarm[], limits: RetentionLimits): string[] {
  const candidates = stored.filter((alarm) => !limits.keep?.has(alarm.id)).sort((a, b) => a.time - b.time || a.id.localeCompare(b.id));
  let total = stored.reduce((sum, alarm) => sum + alarm.bytes, 0);
  let toFree = limits.freeBytes ?? 0;
  const doomed: string[] = [];
  for (const alarm of candidates) {
    if (alarm.time >= limits.now - limits.maxAgeMs && total <= limits.maxBytes && toFree <= 0) break;
    doomed.push(alarm.id);
    total -= alarm.bytes;
    toFree -= alarm.bytes;
  }
  return doomed;
}

/** The start time an alarm id carries in its first 9 base-36 digits (see newAlarmId). */
export function alarmIdTime(id: string): number {
  return parseInt(id.slice(0, 9), 36);
}
