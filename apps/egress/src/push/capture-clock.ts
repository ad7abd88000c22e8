import { matroskaFrame, matroskaHeader } from './matroska-mjpeg';

/**
 * A frame that reaches egress more than this long after its capture time is stamped with its arrival instead: its
 * `ts` is implausible (a clock far off, a record replayed), and trusting it would leave a hole or a jump in the
 * video. It also bounds how far back a push's timeline starts (see pushEpoch), and how long ffmpeg holds the audio
 * back for the video (about 50 AAC packets a second, which push-args.ts sizes its queue for).
 */
export const MAX_LATENESS_MS = 5000;

/**
 * Where a push's timeline starts (epoch ms): this far before the start, so the capture time of any frame it may
 * take is at or after it (a frame arrives after the start, and was captured at most MAX_LATENESS_MS before that).
 * The video's and the audio's timestamps both count from here.
 */
export function pushEpoch(startedAt: number): number {
  return startedAt - MAX_LATENESS_MS;
}

export interface Stamp {
  /** milliseconds since the push's epoch */
  ms: number;
  /** the capture time was not used: the frame came too late, or with a capture time after its arrival */
  restamped: boolean;
}

/**
 * The timestamps of one push's frames: each frame's capture time, counted from the push's epoch, so the video keeps
 * the spacing the camera gave it whatever the pipeline's delays (decode, bus, inference, egress) did to it on the
 * way. Strictly increasing: a frame captured before the last one written (frames overtaking each other) goes 1 ms
 * after it.
 */
export class CaptureClock {
  private last = -1;

  constructor(readonly epochMs: number) {}

  stamp(ts: number, arrivedAt: number): Stamp {
    const lateness = arrivedAt - ts;
    const restamped = !(lateness >= 0 && lateness <= MAX_LATENESS_MS);
    const ms = Math.max(0, Math.round((restamped ? arrivedAt : ts) - this.epochMs), this.last + 1);
    this.last = ms;
    return { ms, restamped };
  }
}

/**
 * One push's video as ffmpeg reads it on stdin: Matroska with each JPEG at its capture time (CaptureClock), the
 * stream header in front of the first frame.
 */
export class CaptureTimedVideo {
  private readonly clock: CaptureClock;
  private headerSent = false;

  constructor(epochMs: number, private readonly width: number, private readonly height: number) {
    this.clock = new CaptureClock(epochMs);
  }

  /** The bytes that carry `jpeg` (captured at `ts`, arrived at `arrivedAt`), and whether its capture time was used. */
  frame(jpeg: Buffer, ts: number, arrivedAt: number): { bytes: Buffer; restamped: boolean } {
    const { ms, restamped } = this.clock.stamp(ts, arrivedAt);
    const block = matroskaFrame(ms, jpeg);
    if (this.headerSent) return { bytes: block, restamped };
    this.headerSent = true;
    return { bytes: Buffer.concat([matroskaHeader(this.width, this.height), block]), restamped };
  }
}
