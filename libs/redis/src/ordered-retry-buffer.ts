export interface OrderedRetryBufferOptions<T> {
  /**
   * Writes a batch in order and resolves with how many of its first items were written (all, normally); throws, or
   * resolves with fewer, while the target is away. Items not written are tried again, first, later.
   */
  write: (items: readonly T[]) => Promise<number>;
  /** items kept while writes fail; past it the oldest waiting item is dropped (and `onDrop` told) */
  max: number;
  /** items per write */
  batch: number;
  /** wait between tries while writes fail, ms */
  retryMs: number;
  onDrop: (item: T) => void;
  /** the first failed write of an outage (later ones are quiet until a write succeeds again) */
  onError: (error: Error, waiting: number) => void;
  /** writes succeed again after an outage; `replayed` items had waited */
  onRecovered?: (replayed: number) => void;
}

/**
 * Durable writes that must not be lost while their target is briefly away: every item goes through here, so the
 * ones that waited go out first and the order is kept. Bounded: past `max` waiting items the oldest is dropped and
 * counted, so a long outage costs memory up to the bound, never more.
 */
export class OrderedRetryBuffer<T> {
  private readonly waiting: T[] = [];
  /** the batch being written: out of `waiting`, so a drop never takes an item whose write may already have landed */
  private inFlight = 0;
  private draining?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private failing = false;
  /** items written since the outage began */
  private replayed = 0;
  /** no more items taken (close() was called) */
  private closed = false;
  /** no more writes tried (close()'s grace is over) */
  private stopped = false;
  private readonly idle: (() => void)[] = [];

  constructor(private readonly options: OrderedRetryBufferOptions<T>) {}

  /** items waiting or being written */
  get size(): number {
    return this.waiting.length + this.inFlight;
  }

  /** Queues the item behind those waiting and starts writing unless a write or a retry is already under way. */
  push(item: T): void {
    if (this.closed) {
      this.options.onDrop(item);
      return;
    }
    this.waiting.push(item);
    this.bound();
    if (!this.timer) this.drain();
  }

  /** Resolves once nothing waits (at once when nothing does). */
  empty(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /**
   * Takes no more items, tries what waits for up to `graceMs`, then drops (and counts) what is left. Resolves with
   * how many items were dropped.
   */
  async close(graceMs: number): Promise<number> {
    this.closed = true;
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([this.empty(), new Promise((resolve) => (timeout = setTimeout(resolve, graceMs)))]);
    clearTimeout(timeout);
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.draining;
    const left = this.waiting.splice(0);
    for (const item of left) this.options.onDrop(item);
    this.settle();
    return left.length;
  }

  private bound(): void {
    const over = this.waiting.length + this.inFlight - this.options.max;
    if (over > 0) for (const item of this.waiting.splice(0, Math.min(over, this.waiting.length))) this.options.onDrop(item);
  }

  private drain(): void {
    this.draining ??= this.writeAll().finally(() => {
      this.draining = undefined;
      // an item pushed after the last round's check, before this ran, would otherwise wait for the next push
      if (this.waiting.length > 0 && !this.timer && !this.stopped) this.drain();
      this.settle();
    });
  }

  private async writeAll(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.batch);
      this.inFlight = batch.length;
      let written = 0;
      let error: Error | undefined;
      try {
        written = Math.max(0, Math.min(batch.length, await this.options.write(batch)));
        if (written < batch.length) error = new Error(`${batch.length - written} of ${batch.length} writes failed`);
      } catch (failure) {
        error = failure as Error;
      }
      this.inFlight = 0;
      if (this.failing) this.replayed += written;
      if (error) {
        // the unwritten go back first, in their order; the bound applies to them too
        this.waiting.unshift(...batch.slice(written));
        this.bound();
        this.failed(error);
        return;
      }
    }
    if (this.failing) {
      this.failing = false;
      this.options.onRecovered?.(this.replayed);
      this.replayed = 0;
    }
  }

  private failed(error: Error): void {
    if (!this.failing) this.options.onError(error, this.size);
    this.failing = true;
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, this.options.retryMs);
  }

  private settle(): void {
    if (this.size > 0 || this.draining) return;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}
