const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * Standard Webhooks' example schedule, cut after the second 10 h wait: the delay before each try, the first being
 * the initial send. Eight tries over about 28 h, so a receiver that is down for a day still gets everything.
 */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [0, 5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR];

/** ±10 %: spreads the retries of a batch that failed together so they do not hit a recovering receiver at once. */
export const DEFAULT_RETRY_JITTER = 0.1;

/** Throws when a schedule cannot be used (no tries, negative or non-finite delays). */
export function validateRetrySchedule(schedule: readonly number[]): void {
  if (schedule.length === 0) throw new RangeError('webhook retry schedule needs at least one try');
  schedule.forEach((delay, index) => {
    if (!Number.isFinite(delay) || delay < 0) throw new RangeError(`webhook retry schedule[${index}] must be a delay >= 0 ms, got ${delay}`);
  });
}

/**
 * Delay before try number `tryIndex` (0 is the first send), with jitter of ±`jitter` around the scheduled value.
 * Past the end of the schedule the last delay repeats, so a caller with more attempts never gets NaN.
 */
export function retryDelay(tryIndex: number, schedule: readonly number[], jitter = DEFAULT_RETRY_JITTER, random: () => number = Math.random): number {
  const base = schedule[Math.min(Math.max(0, tryIndex), schedule.length - 1)] ?? 0;
  const factor = 1 + jitter * (2 * random() - 1);
  return Math.max(0, Math.round(base * factor));
}
