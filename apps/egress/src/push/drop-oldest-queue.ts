/** A queue of at most `capacity` items; a push into a full queue drops the oldest item and counts it. */
export class DropOldestQueue<T> {
  private readonly items: T[] = [];
  /** items dropped since the queue was made */
  dropped = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.items.length;
  }

  /** Adds an item; returns the one dropped to make room, if any. */
  push(item: T): T | undefined {
    this.items.push(item);
    if (this.items.length <= this.capacity) return undefined;
    this.dropped += 1;
    return this.items.shift();
  }

  shift(): T | undefined {
    return this.items.shift();
  }

  clear(): void {
    this.items.length = 0;
  }
}
