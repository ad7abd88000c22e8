const KEEP = 16;
/** intervals needed before the rate is trusted */
const MIN_INTERVALS = 3;

/**
 * The rate frames arrive at, from their capture times: the output frame rate of a camera that does not set one.
 * The median interval, so one late frame or a burst after a hiccup does not move it.
 */
export class ArrivalRate {
  private readonly intervals: number[] = [];
  private last?: number;

  /** `ts`: capture time of a frame, ms */
  record(ts: number): void {
    if (this.last !== undefined && ts > this.last) {
      this.intervals.push(ts - this.last);
      if (this.intervals.length > KEEP) this.intervals.shift();
    }
    if (this.last === undefined || ts > this.last) this.last = ts;
  }

  /** A gap (the camera was offline): the next frames start a fresh estimate. */
  reset(): void {
    this.intervals.length = 0;
    this.last = undefined;
  }

  get ready(): boolean {
    return this.intervals.length >= MIN_INTERVALS;
  }

  /** Whole frames per second, between 1 and `cap`; `cap` until ready. */
  fps(cap: number): number {
    if (!this.ready) return cap;
    const sorted = [...this.intervals].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    return Math.min(cap, Math.max(1, Math.round(1000 / median)));
  }
}
