import type { ClipFrame } from './clip-frame';

/**
 * One camera's budget of JPEG bytes for clips: its pre-alarm ring plus every recording of its alarms. Recordings of
 * alarms that overlap in time (a helmet and a harness alarm at once) hold the same frames; a frame's bytes are counted
 * once, however many recordings hold them, and freed when the last lets go. Frames are told apart by their buffer,
 * not their seq: that is what memory holds, and a seq repeats when ingest restarts.
 *
 * The ring's bytes are counted by the caller (`outside`): the ring has its own bound and evicts by itself.
 */
export class ClipMemory {
  private readonly holders = new Map<Uint8Array, number>();
  private heldBytes = 0;

  /**
   * @param maxBytes what the ring and the recordings may hold together
   * @param outside the bytes held elsewhere under the same budget (the ring), read at every take
   */
  constructor(
    readonly maxBytes: number,
    private readonly outside: () => number = () => 0,
  ) {
    if (!Number.isFinite(maxBytes) || maxBytes <= 0) throw new RangeError(`clip memory must be > 0 bytes, got ${maxBytes}`);
  }

  /** Bytes held by recordings (each frame once). */
  get bytes(): number {
    return this.heldBytes;
  }

  /** Bytes held under this budget in all: the recordings' plus the ring's. */
  get total(): number {
    return this.heldBytes + this.outside();
  }

  /** Takes a hold on a frame; false when it is not held yet and would pass the budget (the frame is left out). */
  take(frame: ClipFrame): boolean {
    const count = this.holders.get(frame.data);
    if (count !== undefined) {
      this.holders.set(frame.data, count + 1);
      return true;
    }
    if (this.total + frame.data.length > this.maxBytes) return false;
    this.holders.set(frame.data, 1);
    this.heldBytes += frame.data.length;
    return true;
  }

  /** Lets go of a hold `take` gave. */
  release(frame: ClipFrame): void {
    const count = this.holders.get(frame.data);
    if (count === undefined) return;
    if (count > 1) {
      this.holders.set(frame.data, count - 1);
      return;
    }
    this.holders.delete(frame.data);
    this.heldBytes -= frame.data.length;
  }
}
