/** At most `size` holders at a time; the others wait in order. Encodes share the CPU with detection. */
export class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`slots: size must be an integer >= 1, got ${size}`);
    this.free = size;
  }

  /** Callers waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      // hand the slot straight to the next waiter, so a newcomer cannot take it in between
      const next = this.waiting.shift();
      if (next) next();
      else this.free += 1;
    }
  }
}
