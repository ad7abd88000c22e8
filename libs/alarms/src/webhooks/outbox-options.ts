import type { WebhookDeadLetters } from '@vigil/redis';
import type { WebhookEndpoint } from './endpoints';
import { DEFAULT_RETRY_JITTER, DEFAULT_RETRY_SCHEDULE_MS, validateRetrySchedule } from './retry-schedule';

export interface WebhookOutboxOptions {
  /** redis:// or rediss:// URL; BullMQ opens its own connections from it */
  redisUrl: string;
  endpoints: WebhookEndpoint[];
  /** where failed deliveries end, on a connection of RedisConnections (whose owner closes it) */
  deadLetters: WebhookDeadLetters;
  /** Delay before each try, the first being the initial send. Default DEFAULT_RETRY_SCHEDULE_MS (8 tries, ~28 h). */
  retrySchedule?: readonly number[];
  /** Relative spread of each retry delay. Default 0.1 (±10 %). */
  retryJitter?: number;
  /** Per-request limit; a timeout counts as a failed try. Default 10 000 ms. */
  requestTimeoutMs?: number;
  /** Deliveries in flight at once per worker; a slow receiver holds a slot up to requestTimeoutMs. Default 8. */
  concurrency?: number;
  /**
   * How long a worker's claim on a running delivery lives without renewal (it renews every half of this). After a
   * crash (kill -9), another worker redelivers once the claim has expired and a stalled check has run, so recovery
   * takes about lockDurationMs + stalledIntervalMs. Shorter means faster recovery but more Redis traffic, and an
   * event loop blocked for longer than this makes a live delivery look stalled and be sent twice (receivers dedupe
   * on webhook-id, so that is a duplicate, never a loss). Default 30 000 ms.
   */
  lockDurationMs?: number;
  /** How often workers look for stalled deliveries. Default 30 000 ms. */
  stalledIntervalMs?: number;
  /**
   * Crashes one delivery may survive before it is failed as dead; guards against a payload that kills every worker
   * that takes it. Default 2.
   */
  maxStalledCount?: number;
  /**
   * How long delivered jobs stay in Redis: their state stays visible and re-enqueuing the same event stays a no-op
   * for this long. Default 7 days.
   */
  keepDeliveredSeconds?: number;
  /** Dead letters kept (newest first), and dead jobs kept in the queue; older ones are trimmed. Default 10 000. */
  maxDeadLetters?: number;
  /** user-agent header. Default 'vigil'. */
  userAgent?: string;
}

export type ResolvedOutboxOptions = Required<WebhookOutboxOptions>;

/** Every default in one place; throws on values that cannot work, naming the option. */
export function resolveOutboxOptions(options: WebhookOutboxOptions): ResolvedOutboxOptions {
  const resolved: ResolvedOutboxOptions = {
    retrySchedule: DEFAULT_RETRY_SCHEDULE_MS,
    retryJitter: DEFAULT_RETRY_JITTER,
    requestTimeoutMs: 10_000,
    concurrency: 8,
    lockDurationMs: 30_000,
    stalledIntervalMs: 30_000,
    maxStalledCount: 2,
    keepDeliveredSeconds: 7 * 24 * 3600,
    maxDeadLetters: 10_000,
    userAgent: 'vigil',
    ...withoutUndefined(options),
  } as ResolvedOutboxOptions;
  validateRetrySchedule(resolved.retrySchedule);
  if (!/^rediss?:\/\//.test(resolved.redisUrl)) throw new RangeError(`webhook outbox: redisUrl must start with redis:// or rediss://`);
  if (!(resolved.retryJitter >= 0 && resolved.retryJitter < 1)) throw new RangeError(`webhook outbox: retryJitter must be in [0, 1), got ${resolved.retryJitter}`);
  for (const name of ['requestTimeoutMs', 'concurrency', 'lockDurationMs', 'stalledIntervalMs', 'keepDeliveredSeconds', 'maxDeadLetters'] as const) {
    const value = resolved[name];
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`webhook outbox: ${name} must be a positive integer, got ${value}`);
  }
  if (!Number.isInteger(resolved.maxStalledCount) || resolved.maxStalledCount < 0) {
    throw new RangeError(`webhook outbox: maxStalledCount must be an integer >= 0, got ${resolved.maxStalledCount}`);
  }
  return resolved;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
