import { LineSplitter } from './line-splitter';

/** @default 20 lines kept */
export const STDERR_TAIL_LINES = 20;
/** @default 8192 characters kept, all lines together (bytes, for the ASCII children write); also the longest line kept */
export const STDERR_TAIL_CHARS = 8192;

export interface StderrTailOptions {
  /** @default STDERR_TAIL_LINES */
  maxLines?: number;
  /** @default STDERR_TAIL_CHARS */
  maxChars?: number;
  /** applied to every line as it is kept, so no secret a child echoes is ever held, logged or shown */
  mask?: (line: string) => string;
}

/**
 * The last lines a child process wrote on stderr: bounded in lines and in bytes (a chatty or hostile child cannot
 * grow our memory), masked as they arrive, and whole even when a line comes in two chunks (a pipe cuts wherever
 * its buffer ends). Children explain their failures only there, so the tail is what a dead child left us.
 */
export class StderrTail {
  private readonly kept: string[] = [];
  private keptChars = 0;
  private readonly splitter: LineSplitter;
  private readonly maxLines: number;
  private readonly maxChars: number;
  private readonly mask: (line: string) => string;

  constructor(options: StderrTailOptions = {}) {
    this.maxLines = options.maxLines ?? STDERR_TAIL_LINES;
    this.maxChars = options.maxChars ?? STDERR_TAIL_CHARS;
    this.mask = options.mask ?? ((line) => line);
    this.splitter = new LineSplitter(this.maxChars, (line) => this.keep(line));
  }

  /** Takes a chunk as it came from the pipe (decoded: a Buffer could end inside a UTF-8 character). */
  write(chunk: string): void {
    this.splitter.write(chunk);
  }

  /** The stream ended: a last line without its newline is kept too. */
  end(): void {
    this.splitter.end();
  }

  /** Keeps one whole line (a caller that splits lines itself, such as a router of a shared child's output). */
  writeLine(line: string): void {
    this.keep(line);
  }

  /** The kept lines, oldest first. */
  lines(): string[] {
    return [...this.kept];
  }

  /** The last `count` kept lines. */
  last(count: number): string[] {
    return count <= 0 ? [] : this.kept.slice(-count);
  }

  private keep(raw: string): void {
    if (!raw.trim()) return;
    // masked before it is cut short: a cut could split a secret and leave its start unrecognised
    const masked = this.mask(raw);
    const line = masked.length > this.maxChars ? `${masked.slice(0, this.maxChars - 1)}…` : masked;
    this.kept.push(line);
    this.keptChars += line.length;
    while (this.kept.length > this.maxLines || this.keptChars > this.maxChars) this.keptChars -= this.kept.shift()!.length;
  }
}
