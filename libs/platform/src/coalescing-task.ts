/**
 * Runs an async task so that calls while it runs coalesce into one more run after it, never two at once: a burst of
 * "the registry changed" messages costs at most two passes. `run()` resolves when no pass is due.
 */
export class CoalescingTask {
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly onError: (error: Error) => void,
  ) {}

  run(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.task().catch(this.onError);
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** No further passes; resolves once the current one (if any) is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}
