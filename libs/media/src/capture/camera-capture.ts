/**
 * One camera inside a capture process: its pipeline, its sequence numbers, its counters and its read loop. Several
 * run side by side in one process (see capture-process.ts); each one's reads wait on libuv's thread pool, so a
 * camera that waits for frames holds a pool thread and nothing else.
 */
import { jpegSize, maskText } from '@vigil/contracts';
import type { FramePublisher } from '@vigil/redis/frame-publisher';
import type { CameraEvent, CaptureJob, CaptureStats } from './messages';
import { OpenCvCapture } from './opencv-capture';
import { SeqBlocks } from './seq-blocks';

/** about 10 s of frames at 25 fps: one IPC message per block, and at most this many numbers skipped at a restart */
const SEQ_BLOCK = 256;
/** a lone oversized frame (a burst of detail) is dropped; this many in a row mean the camera's settings are too big */
const OVERSIZED_IN_A_ROW = 10;

export interface CameraCaptureDeps {
  publisher: FramePublisher;
  report: (event: CameraEvent) => void;
  /** runs a blocking pipeline call (open, close) with the stderr lines it writes claimed for this camera */
  claimStderr: <T>(work: () => T) => T;
}

/** The capture decided to end itself: its own message is the reason, not GStreamer's last words on stderr. */
class OwnEnd extends Error {}

export class CameraCapture {
  private stats: CaptureStats;
  private stopping = false;
  private abandoned = false;
  private readonly ticker: NodeJS.Timeout;

  constructor(
    readonly job: CaptureJob,
    private readonly deps: CameraCaptureDeps,
  ) {
    this.stats = { frames: 0, dropped: 0, oversized: 0, bytes: 0, lastSeq: job.seqStart - 1 };
    this.ticker = setInterval(() => this.report({ type: 'stats', stats: this.stats }), job.statsIntervalMs);
    this.ticker.unref();
  }

  /** Reads until the stream ends, fails or is stopped; resolves once the camera has reported `ended`. */
  async run(): Promise<void> {
    try {
      const ending = await this.loop();
      this.finish('eos', ending);
    } catch (error) {
      this.finish('error', (error as Error).message, error instanceof OwnEnd);
    }
  }

  /** Ends the read loop after the read in progress; the pipeline is closed and `ended` reported. */
  stop(): void {
    this.stopping = true;
  }

  /** Gives up on a read that never returns: nothing more is reported, and the pipeline is never closed. */
  abandon(): void {
    this.stopping = true;
    this.abandoned = true;
    clearInterval(this.ticker);
  }

  private async loop(): Promise<string> {
    let capture = this.open();
    const seqs = new SeqBlocks(this.job.seqStart, SEQ_BLOCK, (until) => this.report({ type: 'seqs', until }));
    let oversizedInARow = 0;
    try {
      while (!this.stopping) {
        const jpeg = await capture.readJpeg();
        if (this.stopping) break;
        if (!jpeg) {
          this.close(capture);
          if (!this.job.loop) return 'end of stream';
          if (this.stats.lastFrameAt === undefined) throw new Error('the source ended before its first frame');
          capture = this.open();
          this.report({ type: 'looped' });
          continue;
        }
        const outcome = this.publish(jpeg, seqs);
        if (outcome === 'too_large') {
          oversizedInARow += 1;
          if (oversizedInARow >= OVERSIZED_IN_A_ROW) {
            const { width = 0, height = 0 } = this.stats;
            throw new OwnEnd(`its JPEG frames (${jpeg.length} bytes, ${width}x${height}) are larger than FRAME_MAX_BYTES (${this.job.maxFrameBytes}): lower its width, height or jpegQuality`);
          }
        } else {
          oversizedInARow = 0;
        }
      }
      return 'stopped';
    } finally {
      // an abandoned pipeline is left as it is: closing one whose source hangs blocks the thread that closes it,
      // which is the one every other camera of the process needs. Its memory is counted against the process
      // (CaptureHost), which leaves once it has no cameras
      if (!this.abandoned) this.close(capture);
    }
  }

  private publish(jpeg: Buffer, seqs: SeqBlocks): 'sent' | 'dropped' | 'too_large' {
    const ts = Date.now();
    const size = jpegSize(jpeg);
    if (!size) {
      this.stats.dropped += 1;
      return 'dropped';
    }
    const { job, stats } = this;
    const seq = seqs.take();
    const outcome = this.deps.publisher.publish({ camera: job.camera, stream: job.stream, seq, ts, width: size.width, height: size.height, format: 'jpeg', data: jpeg });
    stats.lastSeq = seq;
    stats.width = size.width;
    stats.height = size.height;
    if (outcome === 'too_large') {
      // not progress: the supervisor must not show as live a camera whose every frame is refused
      stats.oversized += 1;
      return outcome;
    }
    if (outcome === 'sent') {
      stats.frames += 1;
      stats.bytes += jpeg.length;
    } else {
      stats.dropped += 1;
    }
    stats.lastFrameAt = ts;
    return outcome;
  }

  private open(): OpenCvCapture {
    const started = Date.now();
    try {
      const capture = this.deps.claimStderr(() => OpenCvCapture.open(this.job.launch));
      this.report({ type: 'opened', openMs: Date.now() - started });
      return capture;
    } catch (error) {
      throw new Error(`cannot open the pipeline: ${(error as Error).message}`);
    }
  }

  private close(capture: OpenCvCapture): void {
    this.deps.claimStderr(() => capture.close());
  }

  private finish(reason: 'eos' | 'error', message: string, own = false): void {
    clearInterval(this.ticker);
    this.report({ type: 'ended', reason, message: maskText(message), stats: this.stats, ...(own ? { own } : {}) });
  }

  private report(event: CameraEvent): void {
    if (!this.abandoned) this.deps.report(event);
  }
}
