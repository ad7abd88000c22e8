/**
 * Frame sequence numbers handed out in blocks, each block announced before its first number is used. The
 * supervisor starts the next capture process after the last announced block, so seq keeps rising across restarts
 * even when a process is killed (the watchdog's SIGKILL) before it could report its counters: the announcement left
 * before the frames did. A restart skips at most one block's unused numbers; gaps are fine, repeats are not
 * (clip capture and alarm ids key frames by seq).
 */
export class SeqBlocks {
  private next: number;
  private reservedUntil: number;

  constructor(
    start: number,
    private readonly blockSize: number,
    /** told `until` (exclusive) before any number of a new block is handed out */
    private readonly announce: (until: number) => void,
  ) {
    if (!Number.isSafeInteger(start) || start < 0) throw new RangeError(`seq start must be an integer >= 0, got ${start}`);
    if (!Number.isSafeInteger(blockSize) || blockSize < 1) throw new RangeError(`seq block size must be an integer >= 1, got ${blockSize}`);
    this.next = start;
    this.reservedUntil = start;
  }

  take(): number {
    if (this.next >= this.reservedUntil) {
      this.reservedUntil = this.next + this.blockSize;
      this.announce(this.reservedUntil);
    }
    return this.next++;
  }
}
