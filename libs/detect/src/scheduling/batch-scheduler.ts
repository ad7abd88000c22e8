import type { LatestFrameSlots } from './latest-frame-slots';

export interface BatchOptions {
  /** frames per run; 1 for a model without a batch dimension */
  size: number;
  /** how long a partial batch waits for more cameras' frames before it runs, ms */
  waitMs: number;
}

/**
 * Runs the detector over the freshest frames, one batch at a time, like DeepStream's stream
 * muxer: a batch goes as soon as it is full, or after `waitMs` with what has arrived. While a
 * batch runs, new frames only overwrite slots, so the next batch is always the newest state.
 */
export class BatchScheduler<T> {
  private running = false;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private idle?: Promise<void>;
  private resolveIdle?: () => void;

  constructor(
    private readonly slots: LatestFrameSlots<T>,
    private readonly options: BatchOptions,
    private readonly runBatch: (batch: { camera: string; frame: T }[]) => Promise<void>,
    private readonly onError: (error: Error) => void,
  ) {}

  /** Call after every put into the slots. */
  notify(): void {
    if (this.stopped || this.running) return;
    if (this.slots.size >= this.options.size) {
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.loop();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.loop();
      }, this.options.waitMs);
    }
  }

  /** Stops scheduling; resolves when the batch in flight (if any) is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.idle;
  }

  private async loop(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    this.idle = new Promise((resolve) => (this.resolveIdle = resolve));
    try {
      while (!this.stopped && this.slots.size > 0) {
        const batch = this.slots.take(this.options.size);
        try {
          await this.runBatch(batch);
        } catch (error) {
          this.onError(error as Error);
        }
        // a partial batch waits again for company; a full one goes at once
        if (this.slots.size < this.options.size) break;
      }
    } finally {
      this.running = false;
      this.resolveIdle?.();
    }
    if (!this.stopped && this.slots.size > 0) this.notify();
  }
}
