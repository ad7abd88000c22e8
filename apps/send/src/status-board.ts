import { maskText, oneLine } from '@vigil/contracts';
import type { ProcessLogger } from '@vigil/kernel/process';

/** Where the board writes: process.stderr, or a test's stand-in. */
export interface BoardOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface StatusBoardOptions {
  /** the status line as it is now */
  status(): string;
  /** without a TTY: a status line this often */
  statusEveryMs: number;
  /** on a TTY: the line is redrawn this often */
  redrawEveryMs: number;
  /** applied to every line before it is written (the target URL's secrets) @default maskText */
  mask?: (text: string) => string;
}

const CLEAR_LINE = '\r\x1b[2K';

/**
 * The sender's output on stderr. On a terminal one status line is redrawn in place (`\r` and clear-line) and log
 * lines are written above it; elsewhere (a pipe, a log collector) the status is a plain log line every few seconds.
 * Every line is masked and made one line (a file name or a child's words with a line break or an escape sequence
 * cannot forge a line or drive the terminal).
 */
export class StatusBoard implements ProcessLogger {
  private timer?: NodeJS.Timeout;
  private drawn = false;
  private readonly mask: (text: string) => string;

  constructor(private readonly out: BoardOutput, private readonly options: StatusBoardOptions) {
    this.mask = options.mask ?? maskText;
  }

  get tty(): boolean {
    return this.out.isTTY === true;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => (this.tty ? this.draw() : this.line(`status: ${this.options.status()}`)), this.tty ? this.options.redrawEveryMs : this.options.statusEveryMs);
    this.timer.unref();
    if (this.tty) this.draw();
  }

  /** Stops redrawing; on a terminal the last status stays on its line. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty && this.drawn) this.out.write(`${CLEAR_LINE}${this.clean(this.options.status())}\n`);
    this.drawn = false;
  }

  log(message: string): void {
    this.line(message);
  }

  warn(message: string): void {
    this.line(message);
  }

  debug(): void {
    // the supervisor's repeats: the status line already shows the state and the reconnects
  }

  /** One log line; on a terminal above the status line, which is drawn again below it. */
  line(message: string): void {
    const text = this.clean(message);
    if (!this.tty) {
      this.out.write(`send: ${text}\n`);
      return;
    }
    this.out.write(`${CLEAR_LINE}send: ${text}\n`);
    if (this.timer) this.draw();
  }

  private draw(): void {
    const width = Math.max(20, (this.out.columns || 120) - 1);
    // a line longer than the terminal would wrap, and \r would then redraw only its last row
    this.out.write(`${CLEAR_LINE}${this.clean(this.options.status()).slice(0, width)}`);
    this.drawn = true;
  }

  private clean(text: string): string {
    return oneLine(this.mask(text));
  }
}
