/** Which input a frame came from: 0 the left, 1 the right. */
export type Side = 0 | 1;

export interface Timed {
  /** capture time, epoch ms */
  ts: number;
}

export interface FramePair<F extends Timed> {
  /** the left frame, then the right */
  frames: [F, F];
  /** capture time of the pair: the older of the two (what the panorama shows is at least this old) */
  ts: number;
}

export interface FramePairerOptions {
  /** frames whose capture times differ by at most this make a pair */
  toleranceMs: number;
  /**
   * frames of one input that may wait for a partner; past it the oldest is given up (missed).
   * @default 8
   */
  maxWaiting?: number;
}

export const DEFAULT_MAX_WAITING = 8;

/**
 * Pairs the frames of two inputs by capture time. Each input's frames come in capture order; a frame pairs with the
 * waiting frame of the other input closest to it in time, if one is within the tolerance, at once (a panorama is
 * shown as soon as its two halves are there). Latest wins: a pair gives up every older frame still waiting on either
 * side, since a pair made of them would show time running backwards. A frame that can no longer find a partner (the
 * other input has already sent a frame past its tolerance, and sends in order) is given up at once. Every frame given
 * up is counted as missed for its input; a frame older than its input's last one is missed too. At most
 * `maxWaiting` frames wait per input. Pure: no clock, no timers.
 */
export class FramePairer<F extends Timed> {
  private readonly waiting: [F[], F[]] = [[], []];
  private readonly newest: [number, number] = [-Infinity, -Infinity];
  private readonly maxWaiting: number;
  /** frames of each input that found no partner within the tolerance */
  readonly missed: [number, number] = [0, 0];
  /** pairs made */
  pairs = 0;

  constructor(private readonly options: FramePairerOptions) {
    this.maxWaiting = options.maxWaiting ?? DEFAULT_MAX_WAITING;
    if (!(options.toleranceMs >= 0) || !Number.isInteger(this.maxWaiting) || this.maxWaiting < 1) throw new RangeError('FramePairer: toleranceMs >= 0 and maxWaiting >= 1');
  }

  /** A frame of one input; returns the pair it completes, if it does. */
  offer(side: Side, frame: F): FramePair<F> | undefined {
    const other: Side = side === 0 ? 1 : 0;
    if (!Number.isFinite(frame.ts) || frame.ts <= this.newest[side]) {
      this.missed[side] += 1;
      return undefined;
    }
    this.newest[side] = frame.ts;
    // the other input's waiting frames this one (or any later one of its input) is too new for
    this.giveUp(other, (waiting) => waiting.ts < frame.ts - this.options.toleranceMs);
    const partner = this.closest(other, frame.ts);
    if (partner !== undefined) return this.pair(side, frame, partner);
    if (this.newest[other] > frame.ts + this.options.toleranceMs) {
      this.missed[side] += 1;
      return undefined;
    }
    const queue = this.waiting[side];
    queue.push(frame);
    if (queue.length > this.maxWaiting) {
      queue.shift();
      this.missed[side] += 1;
    }
    return undefined;
  }

  /** Frames waiting for a partner, per input. */
  get waitingCounts(): [number, number] {
    return [this.waiting[0].length, this.waiting[1].length];
  }

  /** Forgets the waiting frames without counting them (the panorama stops, or its inputs start over). */
  clear(): void {
    this.waiting[0].length = 0;
    this.waiting[1].length = 0;
    this.newest[0] = -Infinity;
    this.newest[1] = -Infinity;
  }

  private pair(side: Side, frame: F, partnerIndex: number): FramePair<F> {
    const other: Side = side === 0 ? 1 : 0;
    const partner = this.waiting[other][partnerIndex]!;
    // everything older than the pair is given up; newer frames of the other input may still pair with later ones
    this.missed[other] += partnerIndex;
    this.waiting[other].splice(0, partnerIndex + 1);
    this.missed[side] += this.waiting[side].length;
    this.waiting[side].length = 0;
    this.pairs += 1;
    const frames: [F, F] = side === 0 ? [frame, partner] : [partner, frame];
    return { frames, ts: Math.min(frame.ts, partner.ts) };
  }

  /** Index of the waiting frame of `side` closest in time to `ts` within the tolerance (the older on a tie). */
  private closest(side: Side, ts: number): number | undefined {
    let best: number | undefined;
    let bestGap = Infinity;
    this.waiting[side].forEach((candidate, index) => {
      const gap = Math.abs(candidate.ts - ts);
      if (gap <= this.options.toleranceMs && gap < bestGap) {
        best = index;
        bestGap = gap;
      }
    });
    return best;
  }

  private giveUp(side: Side, dead: (frame: F) => boolean): void {
    const queue = this.waiting[side];
    let count = 0;
    while (count < queue.length && dead(queue[count]!)) count += 1;
    if (count === 0) return;
    queue.splice(0, count);
    this.missed[side] += count;
  }
}
