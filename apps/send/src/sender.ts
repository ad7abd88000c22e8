import { egressProtocol, maskerFor, maskUrl } from '@vigil/contracts';
import { type Attempt, type BackoffOptions, type ProcessLogger, ProcessSupervisor, type Refusal, type StderrTail, type SupervisedChild } from '@vigil/kernel/process';
import { pushOutput, RtspRelay, rtspTarget } from '@vigil/media/push';
import { sendArgs, serveOutput } from './send-args';
import { SendFigures, type StatusFigures } from './send-figures';
import { type SendPlan, rawFrameBytes } from './send-plan';
import { type SendCommand, SendProcess } from './send-process';
import type { RtspServe } from './rtsp-serve';

/** `connecting`: ffmpeg started, no frame sent yet; `live`: frames go out; `reconnecting`: it failed, a retry is due. */
export type SendState = 'connecting' | 'live' | 'reconnecting' | 'stalled' | 'stopped';

/** Where the frames go: a server's URL (RTSP through the relay, RTMP straight), or vigil's own RTSP server. */
export type SendDestination = { push: string } | { serve: RtspServe; url: string };

export interface SenderOptions {
  plan: SendPlan;
  destination: SendDestination;
  logger: ProcessLogger;
  reconnect: BackoffOptions;
  stallMs: number;
  stopGraceMs: number;
  /** @default 'ffmpeg', found on PATH */
  ffmpeg?: string;
}

/**
 * The sender's loop: one ffmpeg at a time reading the source, encoding and sending, kept alive by the kernel's
 * supervisor: a server that goes away ends ffmpeg, and a new one starts after a backoff (500 ms doubling to 10 s, by
 * default), counted as a reconnect; one that sends nothing for `stallMs` is killed and started again. An RTSP
 * target's credentials stay in the relay (libs/media/src/push): ffmpeg's argv shows a loopback URL only.
 */
export class Sender {
  readonly figures: SendFigures;
  /** masks what may echo the target (ffmpeg's errors, the relay's reasons) */
  readonly mask: (text: string) => string;
  private readonly supervisor: ProcessSupervisor<SendState>;
  private child?: SendProcess;

  constructor(private readonly options: SenderOptions) {
    this.figures = new SendFigures(rawFrameBytes(options.plan.size));
    const { destination } = options;
    this.mask = 'push' in destination ? maskerFor(destination.push) : (text) => text;
    const name = 'push' in destination ? `sending to ${maskUrl(destination.push)}` : `serving at ${destination.url}`;
    this.supervisor = new ProcessSupervisor<SendState>({
      name,
      states: { idle: 'stopped', starting: 'connecting', running: 'live', failed: 'reconnecting', stalled: 'stalled' },
      launch: (attempt) => this.launch(attempt),
      backoff: options.reconnect,
      watchdog: {
        ms: options.stallMs,
        reason: (phase) => `${phase === 'starting' ? 'no frame went out' : 'no frame went out any more'} for ${options.stallMs / 1000} s`,
      },
      mask: this.mask,
      describe: (state, reason) => `${name}: ${state}${reason ? ` (${reason})` : ''}`,
      logger: options.logger,
    });
  }

  start(): void {
    this.supervisor.start();
  }

  /** ffmpeg ends the stream and exits (killed after the grace); nothing restarts. */
  async stop(): Promise<void> {
    await this.supervisor.stop();
  }

  /** The ffmpeg now running (tests look at its argv). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  status(): StatusFigures {
    // the reason is logged once, when the state changes: repeated in every status line it would bury the figures
    const { state, restarts } = this.supervisor.current;
    return { state, rates: this.figures.rates(), ratio: this.figures.ratio, frames: this.figures.frames, reconnects: restarts };
  }

  private async launch(attempt: Attempt<SendState>): Promise<SupervisedChild | Refusal<SendState>> {
    const { plan, destination } = this.options;
    this.figures.newRun();
    let relay: RtspRelay | undefined;
    let command: SendCommand;
    if ('serve' in destination) {
      command = { args: sendArgs(plan, serveOutput(plan.encoder.codec)), streamOut: true };
    } else if (egressProtocol(destination.push) === 'rtsp') {
      // a failure to listen on loopback is a refusal, retried like any other failure
      relay = await RtspRelay.open(rtspTarget(destination.push));
      if (attempt.signal.aborted) {
        relay.close();
        return { refused: 'stopped' };
      }
      command = { args: sendArgs(plan, pushOutput(relay.url).args) };
    } else {
      const output = pushOutput(destination.push);
      command = { args: sendArgs(plan, output.args), preset: output.preset };
    }
    let frames = 0;
    let muxed = 0;
    let piped = 0;
    // the bytes sent: the relay counts RTSP's, ffmpeg's muxer knows FLV's, and a served stream passes through us
    const bytes = (): number => relay?.bytesSent ?? ('serve' in destination ? piped : muxed);
    const child = new SendProcess(this.options.ffmpeg ?? 'ffmpeg', command, {
      progress: (block) => {
        if (block.totalSize !== undefined) muxed = block.totalSize;
        this.figures.update(block.frame ?? frames, bytes());
        if ((block.frame ?? 0) <= frames) return;
        frames = block.frame!;
        attempt.progress();
      },
      exit: ({ ending, stderr }) => {
        relay?.close();
        if (this.child === child) this.child = undefined;
        attempt.ended({ reason: describeEnding(ending, relay?.failure, stderr), stderr });
      },
    }, this.mask, this.options.stopGraceMs);
    this.child = child;
    if (relay && child.pid !== undefined) relay.admit(child.pid);
    if ('serve' in destination && child.stream) {
      const stream = child.stream;
      stream.on('data', (chunk: Buffer) => {
        piped += chunk.length;
        // the server reads as fast as it can; should it fall behind, ffmpeg waits rather than us buffering
        if (!destination.serve.write(chunk) && !stream.isPaused()) {
          stream.pause();
          destination.serve.input.once('drain', () => stream.resume());
        }
      });
    }
    return { stop: () => child.stop(), kill: () => void child.kill() };
  }
}

/** "the RTSP server ... closed the connection; ffmpeg exit code 1: <its last lines>". */
function describeEnding(ending: string, cause: string | undefined, stderr: StderrTail): string {
  const detail = stderr.last(2).join(' | ');
  return `${cause ? `${cause}; ` : ''}ffmpeg ${ending}${detail ? `: ${detail}` : ''}`;
}
