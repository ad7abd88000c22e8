import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { StderrTail } from '@vigil/kernel/process';
import { trackChild } from '@vigil/media/child-processes';
import { PRESET_FD, privateFd } from '@vigil/media/push';
import { type ProgressBlock, ProgressParser } from './send-figures';

const STDERR_LINES = 8;

export interface SendCommand {
  args: string[];
  /** RTMP's secret options, which ffmpeg reads from its fd 3 */
  preset?: string;
  /** the encoded stream comes out on fd 3 (--serve); exclusive with a preset */
  streamOut?: boolean;
}

export interface SendProcessEvents {
  progress(block: ProgressBlock): void;
  exit(ending: { ending: string; stderr: StderrTail }): void;
}

/**
 * One ffmpeg child of the sender: it reads the source, encodes and sends, so none of that runs on our event loop.
 * Progress comes on stdout, errors on stderr (masked as they come), the stream on fd 3 when it is served. It runs in a
 * process group of its own, so a Ctrl-C on the terminal reaches the sender alone, which then ends ffmpeg in order.
 */
export class SendProcess {
  private readonly child: ChildProcess;
  private readonly stderr: StderrTail;
  private exited = false;
  private readonly done: Promise<void>;

  constructor(ffmpeg: string, command: SendCommand, events: SendProcessEvents, mask: (text: string) => string, private readonly graceMs: number) {
    this.stderr = new StderrTail({ maxLines: STDERR_LINES, mask });
    const preset = command.preset === undefined ? undefined : privateFd(command.preset);
    const stdio: ('pipe' | 'ignore' | number)[] = ['ignore', 'pipe', 'pipe'];
    if (preset !== undefined) stdio[PRESET_FD] = preset;
    else if (command.streamOut) stdio[3] = 'pipe';
    try {
      this.child = trackChild(spawn(ffmpeg, command.args, { stdio, detached: true }));
    } finally {
      if (preset !== undefined) closeSync(preset);
    }
    let settle!: () => void;
    this.done = new Promise((resolve) => (settle = resolve));
    const finish = (ending: string): void => {
      if (this.exited) return;
      this.exited = true;
      settle();
      this.stderr.end();
      events.exit({ ending, stderr: this.stderr });
    };
    this.child.once('error', (error) => finish(`could not start ${ffmpeg}: ${error.message}`));
    this.child.once('close', (code, signal) => finish(signal ? `ended by ${signal}` : `exit code ${code}`));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.stderr.write(chunk));
    const parser = new ProgressParser((block) => events.progress(block));
    createInterface({ input: this.child.stdout! }).on('line', (line) => parser.line(line));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** The encoded stream (with `streamOut`). */
  get stream(): Readable | undefined {
    return (this.child.stdio[3] as Readable | null) ?? undefined;
  }

  /** SIGINT, on which ffmpeg ends the stream (an RTSP TEARDOWN, the FLV trailer) and exits; SIGKILL after the grace. */
  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), this.graceMs);
    await this.done;
    clearTimeout(timer);
  }

  /** Ends it now (a stalled send); resolves once it exited. */
  async kill(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGKILL');
    await this.done;
  }
}
