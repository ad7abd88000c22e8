import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { StderrTail } from '@vigil/kernel/process';
import { type FfmpegChild, startFfmpeg } from '@vigil/media/push';
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
  private readonly started: FfmpegChild;
  private readonly stderr: StderrTail;
  private exited = false;
  private readonly done: Promise<void>;

  constructor(ffmpeg: string, command: SendCommand, events: SendProcessEvents, mask: (text: string) => string, private readonly graceMs: number) {
    this.stderr = new StderrTail({ maxLines: STDERR_LINES, mask });
    const started = startFfmpeg(ffmpeg, command.args, { preset: command.preset, stdio: ['ignore', 'pipe', 'pipe', ...(command.streamOut ? ['pipe' as const] : [])], detached: true });
    this.started = started;
    this.child = started.child;
    this.done = started.ending.then((ending) => {
      this.exited = true;
      this.stderr.end();
      events.exit({ ending, stderr: this.stderr });
    });
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
    await this.started.stop(() => this.child.kill('SIGINT'), this.graceMs);
    await this.done;
  }

  /** Ends it now (a stalled send); resolves once it exited. */
  async kill(): Promise<void> {
    await this.started.kill();
    await this.done;
  }
}
