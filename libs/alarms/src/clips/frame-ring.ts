import type { ClipFrame } from './clip-frame';

export interface FrameRingOptions {
  /** named in errors */
  camera: string;
  /** how far back, in capture time from the newest frame, the ring reaches. Default 10 s. */
  maxAgeMs?: number;
  /** JPEG bytes held at most; the oldest frames go first. Default 64 MiB. */
  maxBytes?: number;
  /** frames held at most, so tiny frames cannot pile up either. Default 1,000. */
  maxFrames?: number;
}

export interface FrameRingStats {
  /** frames pushed out by maxBytes or maxFrames before maxAgeMs was up (the pre-roll was cut short), or too big alone */
  dropped: number;
  /** frames whose seq the ring already held */
  duplicates: number;
  /** times the ring started over because a frame's capture time went far backwards */
  resets: number;
}

const DEFAULTS = { maxAgeMs: 10_000, maxBytes: 64 * 1024 * 1024, maxFrames: 1_000 };

/**
 * One camera's most recent frames, kept for the seconds of a clip before its alarm. Bounded by capture age, bytes
 * and count; what the byte and count bounds push out early is counted.
 *
 * Frames are kept in capture order: a frame that arrives late but within `maxAgeMs` of the newest takes its place
 * among the others. A frame more than `maxAgeMs` older than the newest means the sender's clock went back (the
 * camera or its host restarted, or the clock was set): the frames held can no longer be placed in time with it,
 * so the ring starts over from it.
 */
export class FrameRing<F extends ClipFrame = ClipFrame> {
  private readonly options: Required<FrameRingOptions>;
  private readonly held: F[] = [];
  private readonly bySeq = new Map<number, F>();
  private heldBytes = 0;
  private readonly counts: FrameRingStats = { dropped: 0, duplicates: 0, resets: 0 };

  constructor(options: FrameRingOptions) {
    this.options = {
      camera: options.camera,
      maxAgeMs: options.maxAgeMs ?? DEFAULTS.maxAgeMs,
      maxBytes: options.maxBytes ?? DEFAULTS.maxBytes,
      maxFrames: options.maxFrames ?? DEFAULTS.maxFrames,
    };
    for (const key of ['maxAgeMs', 'maxBytes', 'maxFrames'] as const) {
      const value = this.options[key];
      if (!Number.isFinite(value) || value <= 0) throw new RangeError(`frame ring of camera "${options.camera}": ${key} must be > 0, got ${value}`);
    }
  }

  get size(): number {
    return this.held.length;
  }

  get bytes(): number {
    return this.heldBytes;
  }

  get stats(): Readonly<FrameRingStats> {
    return { ...this.counts };
  }

  /** Takes a frame; returns the ring's own copy of it (share that, not the view), or undefined when it was not taken. */
  push(frame: F): F | undefined {
    if (this.bySeq.has(frame.seq)) {
      this.counts.duplicates += 1;
      return undefined;
    }
    if (frame.data.length > this.options.maxBytes) {
      // taking it would push out every other frame and then itself
      this.counts.dropped += 1;
      return undefined;
    }
    const newest = this.held.at(-1);
    if (newest && frame.ts < newest.ts - this.options.maxAgeMs) {
      this.clear();
      this.counts.resets += 1;
    }
    const kept = ownBytes(frame);
    this.held.splice(this.insertionIndex(kept.ts), 0, kept);
    this.bySeq.set(kept.seq, kept);
    this.heldBytes += kept.data.length;
    this.evict();
    return kept;
  }

  /** The frames held, oldest first. A copy: pushing later does not change it. */
  frames(): F[] {
    return [...this.held];
  }

  find(seq: number): F | undefined {
    return this.bySeq.get(seq);
  }

  clear(): void {
    this.held.length = 0;
    this.bySeq.clear();
    this.heldBytes = 0;
  }

  private evict(): void {
    const { maxAgeMs, maxBytes, maxFrames } = this.options;
    const newestTs = this.held.at(-1)?.ts ?? 0;
    while (this.held.length > 0 && this.held[0].ts < newestTs - maxAgeMs) this.removeOldest();
    while (this.held.length > 0 && (this.heldBytes > maxBytes || this.held.length > maxFrames)) {
      this.removeOldest();
      this.counts.dropped += 1;
    }
  }

  private removeOldest(): void {
    const oldest = this.held.shift();
    if (!oldest) return;
    this.bySeq.delete(oldest.seq);
    this.heldBytes -= oldest.data.length;
  }

  /** After every frame captured at or before `ts`: frames nearly always arrive in order, so search from the end. */
  private insertionIndex(ts: number): number {
    let index = this.held.length;
    while (index > 0 && this.held[index - 1].ts > ts) index -= 1;
    return index;
  }
}

/**
 * A frame decoded from a bus message holds a view into that whole message (or a larger socket buffer); keeping the
 * view would keep all of it alive for the ring's seconds, beyond what maxBytes counts. Such frames are copied.
 */
function ownBytes<F extends ClipFrame>(frame: F): F {
  const { data } = frame;
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) return frame;
  const copy = Buffer.allocUnsafeSlow(data.length);
  data.copy(copy);
  return { ...frame, data: copy };
}
