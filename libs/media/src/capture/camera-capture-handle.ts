import { EventEmitter } from 'node:events';
import { maskText } from '@vigil/contracts';
import { StderrTail } from '@vigil/kernel/process';
import type { CameraEvent, CaptureStats } from './messages';
import { gstreamerReason } from './stderr-router';

// short: a stop at shutdown has to fit, with everything else, in the shutdown deadline
export const STOP_GRACE_MS = 1000;

export interface CaptureProcessEvents {
  opened: [openMs: number];
  /** sequence numbers below this may have been used */
  seqs: [until: number];
  stats: [stats: CaptureStats];
  looped: [];
  /** the capture is over, for whatever reason; emitted exactly once */
  ended: [outcome: { reason: 'eos' | 'error'; message: string; stats?: CaptureStats }];
}

/** What a camera's handle needs of the capture process that runs it (CaptureHost). */
export interface CameraHost {
  readonly pid: number | undefined;
  /** asks the process to stop the camera; false when it is gone already */
  stopCamera(camera: string): boolean;
  /** the camera's read does not return: the process forgets it (alone in its process: the process is killed) */
  abandonCamera(camera: string): void;
}

/**
 * One camera's capture seen from the supervisor, whichever process runs it. GStreamer explains failures only on
 * stderr (through OpenCV's warnings): the camera's own lines are kept here and the most telling one becomes the
 * error reason; the supervisor logs them all when the capture fails.
 */
export class CameraCaptureHandle extends EventEmitter<CaptureProcessEvents> {
  /** the camera's last stderr lines, credentials masked */
  readonly stderr = new StderrTail({ mask: maskText });
  private endedOnce = false;
  private lastStats?: CaptureStats;
  private stopping?: Promise<void>;

  constructor(
    readonly camera: string,
    private readonly host: CameraHost,
  ) {
    super();
  }

  get pid(): number | undefined {
    return this.host.pid;
  }

  get ended(): boolean {
    return this.endedOnce;
  }

  /** Asks the camera to stop; gives up on it after STOP_GRACE_MS (its read is stuck). Resolves when it is over. */
  stop(): Promise<void> {
    if (this.endedOnce) return Promise.resolve();
    // once: a watchdog's kill and a supervisor's stop may both come, and a camera is given up on only once
    this.stopping ??= new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.host.abandonCamera(this.camera);
        this.finish({ reason: 'error', message: 'its read did not return', stats: this.lastStats });
      }, STOP_GRACE_MS);
      this.once('ended', () => {
        clearTimeout(timer);
        resolve();
      });
      if (!this.host.stopCamera(this.camera)) this.finish({ reason: 'error', message: 'capture process gone', stats: this.lastStats });
    });
    return this.stopping;
  }

  /** The watchdog's way: a stop that must not wait on a read that may never return. */
  kill(): void {
    void this.stop();
  }

  /** A report from the process about this camera. */
  onEvent(event: CameraEvent): void {
    switch (event.type) {
      case 'opened':
        this.emit('opened', event.openMs);
        break;
      case 'seqs':
        this.emit('seqs', event.until);
        break;
      case 'stats':
        this.lastStats = event.stats;
        this.emit('stats', event.stats);
        break;
      case 'looped':
        this.emit('looped');
        break;
      case 'ended': {
        this.lastStats = event.stats;
        const reason = event.reason === 'error' && !event.own ? (this.reason() ?? event.message) : event.message;
        this.finish({ reason: event.reason, message: reason, stats: event.stats });
        break;
      }
    }
  }

  /** The process is gone (`detail`: how, e.g. "killed by SIGSEGV"). */
  onHostExit(detail: string): void {
    this.stderr.end();
    this.finish({ reason: 'error', message: `capture process ${this.reason() ?? detail}`, stats: this.lastStats });
  }

  private reason(): string | undefined {
    return gstreamerReason(this.stderr.lines(), this.camera);
  }

  private finish(outcome: CaptureProcessEvents['ended'][0]): void {
    if (this.endedOnce) return;
    this.endedOnce = true;
    this.emit('ended', outcome);
  }
}
