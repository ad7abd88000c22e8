import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { maskText } from '@vigil/contracts';
import { StderrTail } from '@vigil/kernel/process';
import { trackChild } from '../child-processes';
import type { CaptureJob, CaptureMessage, CaptureStats, SupervisorMessage } from './messages';

const ENTRY = join(__dirname, 'capture-process.js');
// short: a stop at shutdown has to fit, with everything else, in the shutdown deadline
const STOP_GRACE_MS = 1000;

export interface CaptureProcessEvents {
  opened: [openMs: number];
  /** sequence numbers below this may have been used */
  seqs: [until: number];
  stats: [stats: CaptureStats];
  looped: [];
  /** the capture is over, for whatever reason; emitted exactly once */
  ended: [outcome: { reason: 'eos' | 'error'; message: string; stats?: CaptureStats }];
}

/**
 * A running capture process seen from the supervisor. GStreamer explains failures only on
 * stderr (through OpenCV's warnings), so the last lines are kept and the most telling one
 * becomes the error reason; the supervisor logs them all when the process dies.
 */
export class CaptureProcessHandle extends EventEmitter<CaptureProcessEvents> {
  private readonly child: ChildProcess;
  /** its last stderr lines, credentials masked */
  readonly stderr = new StderrTail({ mask: maskText });
  private endedOnce = false;
  private lastStats?: CaptureStats;

  private constructor(job: CaptureJob) {
    super();
    // the camera id alone in argv, so `ps` tells which process is which camera (ids are [A-Za-z0-9_-], 64 at most)
    this.child = trackChild(fork(ENTRY, ['--camera', job.camera], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' }));
    this.child.send({ type: 'job', job } satisfies SupervisorMessage, (error) => error && this.child.kill('SIGKILL'));
    this.child.stderr
      ?.setEncoding('utf8')
      .on('data', (chunk: string) => this.stderr.write(chunk))
      .on('end', () => this.stderr.end());
    this.child.on('message', (message: CaptureMessage) => this.onMessage(message));
    this.child.on('exit', (code, signal) => {
      const detail = this.gstreamerReason() ?? (signal ? `killed by ${signal}` : `exited with code ${code}`);
      this.finish({ reason: 'error', message: `capture process ${detail}`, stats: this.lastStats });
    });
    this.child.on('error', (error) => this.finish({ reason: 'error', message: `capture process: ${error.message}` }));
  }

  static start(job: CaptureJob): CaptureProcessHandle {
    return new CaptureProcessHandle(job);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Asks the process to stop, kills it if it does not; resolves when it is gone. */
  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      if (this.child.connected) this.child.send({ type: 'stop' } satisfies SupervisorMessage);
      else this.child.kill('SIGTERM');
    });
  }

  /** Kills at once (the watchdog's way: a stalled pipeline may never return from a read). */
  kill(): void {
    this.child.kill('SIGKILL');
  }

  private onMessage(message: CaptureMessage): void {
    switch (message.type) {
      case 'opened':
        this.emit('opened', message.openMs);
        break;
      case 'seqs':
        this.emit('seqs', message.until);
        break;
      case 'stats':
        this.lastStats = message.stats;
        this.emit('stats', message.stats);
        break;
      case 'looped':
        this.emit('looped');
        break;
      case 'ended': {
        this.lastStats = message.stats;
        const reason = message.reason === 'error' && !message.own ? (this.gstreamerReason() ?? message.message) : message.message;
        this.finish({ reason: message.reason, message: reason, stats: message.stats });
        break;
      }
    }
  }

  private finish(outcome: CaptureProcessEvents['ended'][0]): void {
    if (this.endedOnce) return;
    this.endedOnce = true;
    this.emit('ended', outcome);
  }

  /** The most specific GStreamer error OpenCV passed on, e.g. "rtspsrc0 reported: Could not open resource". */
  private gstreamerReason(): string | undefined {
    const lines = this.stderr.lines();
    for (let i = lines.length - 1; i >= 0; i -= 1) {
      const line = lines[i]!;
      const reported = /module (\S+) reported: (.+)$/.exec(line);
      if (reported) return `${reported[1]}: ${reported[2]!.trim()}`;
    }
    for (let i = lines.length - 1; i >= 0; i -= 1) {
      const line = lines[i]!;
      const warning = /GStreamer warning: (.+)$/.exec(line) ?? /\b(?:Error|ERROR)\b:? (.+)$/.exec(line);
      if (warning) return warning[1]!.trim();
    }
    return undefined;
  }
}
