export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** fraction of the delay added or removed at random so that many cameras do not retry in lockstep */
  jitter?: number;
}

/** Delay before reconnect attempt `attempt` (0-based): min * 2^attempt, capped at max, with jitter. */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(options.maxMs, options.minMs * 2 ** Math.min(attempt, 30));
  const jitter = options.jitter ?? 0.2;
  const factor = 1 - jitter + 2 * jitter * random();
  return Math.round(Math.min(options.maxMs, base * factor));
}
