import type Redis from 'ioredis';
import { keys, type ViolationEvent } from '@vigil/contracts';
import { OrderedRetryBuffer } from './ordered-retry-buffer';

/** Every default of the violations writer, in one place. */
export const VIOLATION_STREAM_DEFAULTS = {
  /** violations kept in the stream for consumers that were away (alarms acknowledge theirs; approximate trim) */
  maxLen: 10_000,
  /**
   * violations kept in memory while Redis is away, replayed in order when it is back; past it the oldest is
   * dropped and counted (at one violation per frame, 10 cameras at 10 fps fill it in 100 s)
   */
  bufferMax: 10_000,
  /** violations per write (one pipeline) */
  batch: 100,
  /** wait between tries while Redis is away, ms */
  retryMs: 250,
};

export interface ViolationStreamHooks {
  /** a violation was dropped: the buffer was full, or the process stopped with it still waiting */
  onDrop: (violation: ViolationEvent) => void;
  /** the first failed write of an outage */
  onError: (error: Error, waiting: number) => void;
  onRecovered: (replayed: number) => void;
}

/**
 * The violations stream (`keys.violations`), written by inference and read by the alarms service. Violations are
 * not disposable like frames: while Redis is away they wait here, bounded, and go out in order once it is back.
 * Give it a connection without an offline queue, so a write fails at once instead of waiting inside ioredis.
 */
export class ViolationStream {
  private readonly buffer: OrderedRetryBuffer<ViolationEvent>;
  private readonly maxLen: string;

  constructor(
    private readonly redis: Redis,
    hooks: ViolationStreamHooks,
    options: Partial<typeof VIOLATION_STREAM_DEFAULTS> = {},
  ) {
    const { maxLen, bufferMax, batch, retryMs } = { ...VIOLATION_STREAM_DEFAULTS, ...options };
    this.maxLen = String(maxLen);
    this.buffer = new OrderedRetryBuffer({ write: (events) => this.write(events), max: bufferMax, batch, retryMs, ...hooks });
  }

  /** Queues the violation; it is written at once unless earlier ones still wait for Redis. Never throws. */
  append(violation: ViolationEvent): void {
    this.buffer.push(violation);
  }

  /** violations not yet written */
  get waiting(): number {
    return this.buffer.size;
  }

  /** Resolves once every violation appended so far is in Redis. */
  written(): Promise<void> {
    return this.buffer.empty();
  }

  /** Writes what waits for up to `graceMs`; resolves with how many were dropped (and reported to onDrop). */
  close(graceMs: number): Promise<number> {
    return this.buffer.close(graceMs);
  }

  /** One pipeline, in order; how many of the first ones landed. */
  private async write(events: readonly ViolationEvent[]): Promise<number> {
    const pipeline = this.redis.pipeline();
    for (const event of events) {
      pipeline.xadd(keys.violations, 'MAXLEN', '~', this.maxLen, '*', 'camera', event.camera, 'rule', event.rule, 'event', JSON.stringify(event));
    }
    const results = (await pipeline.exec()) ?? [];
    const failed = results.findIndex(([error]) => error);
    if (failed === 0) throw results[0]![0]!;
    return failed === -1 ? results.length : failed;
  }
}
