/**
 * Cuts a child's output into lines as chunks arrive (a pipe cuts wherever its buffer ends), bounded: a line longer
 * than `maxChars` is passed on cut short, once, and the rest of it is dropped up to its end, so a chatty or hostile
 * child cannot grow our memory with one endless line.
 */
export class LineSplitter {
  /** the line still being written: its end has not come yet */
  private partial = '';
  /** the partial line outgrew the bound: the rest of it is dropped up to its end */
  private overlong = false;

  constructor(
    private readonly maxChars: number,
    private readonly onLine: (line: string) => void,
  ) {}

  /** Takes a chunk as it came from the pipe (decoded: a Buffer could end inside a UTF-8 character). */
  write(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r\n|\r|\n/);
    // a chunk that ends in "\r" may be the first half of "\r\n": the empty line that makes is the caller's to skip
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      if (!this.overlong) this.onLine(line);
      this.overlong = false;
    }
    if (this.partial.length > this.maxChars) {
      // passed on whole up to here (the receiver cuts it, after masking it whole); the rest of the line is dropped
      if (!this.overlong) this.onLine(this.partial);
      this.overlong = true;
      this.partial = '';
    }
  }

  /** The stream ended: a last line without its newline is passed on too. */
  end(): void {
    if (!this.overlong) this.onLine(this.partial);
    this.partial = '';
    this.overlong = false;
  }
}
