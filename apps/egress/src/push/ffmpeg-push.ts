import type { ChildProcessByStdio } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { maskText } from '@vigil/contracts';
import { StderrTail } from '@vigil/kernel';
import { type FfmpegChild, type PushCommand, startFfmpeg } from '@vigil/media/push';
import { AUDIO_LIST_FD } from './audio-input';

const STDERR_LINES = 8;
/** after stdin closes, ffmpeg flushes and disconnects; past this it is killed */
// ffmpeg flushes a few frames in well under this; a stop at shutdown has to fit in the shutdown deadline
const END_GRACE_MS = 1000;

export interface PushEnding {
  /** 'exit code 1', 'ended by SIGKILL', 'could not start ffmpeg: ...' */
  ending: string;
  /** ffmpeg's last error lines, credentials masked; none when it never ran */
  stderr?: StderrTail;
  /** what made it end, where ffmpeg's own words are only the consequence (the RTSP relay's failure) */
  cause?: string;
}

/** A running push as the pusher drives it: an FfmpegPush, or one behind the RTSP relay (relayed-push.ts). */
export interface PushProcess {
  readonly running: boolean;
  /** ffmpeg's process id, once it runs */
  readonly pid?: number;
  /** Hands bytes of the video stream over (capture-clock.ts); false when it cannot take them now (wait for `drain`). */
  write(bytes: Buffer): boolean;
  /** True while a write is still waiting to go out. */
  readonly backedUp: boolean;
  /** Finishes the stream cleanly; kills ffmpeg if that takes too long. */
  end(): Promise<void>;
  /** Stops it now; resolves once it exited. */
  kill(): Promise<void>;
}

export interface FfmpegPushEvents {
  /** frames ffmpeg has sent out so far (from its -progress output) */
  progress(frames: number): void;
  /** stdin can take more after write() returned false */
  drain(): void;
  exit(ending: PushEnding): void;
}

/**
 * One ffmpeg child process pushing a stream: frames in on stdin, progress out on stdout, errors on stderr. It does
 * the decoding, encoding and network work, so none of it runs on our event loop. Never throws after start: a
 * failure is an `exit`.
 */
export class FfmpegPush implements PushProcess {
  private readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  private readonly started: FfmpegChild;
  private readonly stderr = new StderrTail({ maxLines: STDERR_LINES, mask: maskText });
  private exited = false;
  private readonly done: Promise<void>;

  constructor(ffmpeg: string, command: PushCommand, events: FfmpegPushEvents) {
    // the preset (secret options) is the child's fd 3
    const started = startFfmpeg(ffmpeg, command.args, {
      preset: command.preset,
      stdio: ['pipe', 'pipe', 'pipe'],
      // the audio input's list (it names the camera's URL) is its fd 4
      ...(command.audioList === undefined ? {} : { secrets: { [AUDIO_LIST_FD]: command.audioList } }),
    });
    this.started = started;
    this.child = started.child as ChildProcessByStdio<Writable, Readable, Readable>;
    this.done = started.ending.then((ending) => {
      this.exited = true;
      this.stderr.end();
      events.exit({ ending, stderr: this.stderr });
    });
    // EPIPE when ffmpeg dies mid-write: its exit says why
    this.child.stdin.on('error', () => undefined);
    this.child.stdin.on('drain', () => events.drain());
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => this.stderr.write(chunk));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const match = /^frame=(\d+)$/.exec(line.trim());
      if (match) events.progress(Number(match[1]));
    });
  }

  get running(): boolean {
    return !this.exited;
  }

  /** The child's process id; undefined when it could not be started (its `exit` follows). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Hands video bytes to ffmpeg; false when its stdin is full (wait for `drain`). */
  write(bytes: Buffer): boolean {
    if (this.exited || this.child.stdin.destroyed) return false;
    return this.child.stdin.write(bytes);
  }

  /** True while a write is still waiting to reach ffmpeg. */
  get backedUp(): boolean {
    return this.child.stdin.writableNeedDrain;
  }

  /** Closes stdin so ffmpeg finishes the stream cleanly; kills it if it takes too long. */
  async end(): Promise<void> {
    await this.started.stop(() => this.child.stdin.end(), END_GRACE_MS);
    await this.done;
  }

  /** Stops it now (a stalled push); resolves once it exited. */
  async kill(): Promise<void> {
    await this.started.kill();
    await this.done;
  }
}
