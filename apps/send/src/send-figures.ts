/** One block of ffmpeg's `-progress` output, the figures the sender uses. */
export interface ProgressBlock {
  /** frames encoded and handed to the muxer so far, in this run */
  frame?: number;
  /** bytes the muxer wrote, in this run; ffmpeg knows it for FLV (RTMP), not for RTSP ("N/A") */
  totalSize?: number;
}

/** keys kept per block: ffmpeg writes about a dozen; a hostile or broken child cannot grow our memory */
const MAX_KEYS = 64;

/** ffmpeg's `-progress` output read line by line: `key=value` lines, each block ended by `progress=continue|end`. */
export class ProgressParser {
  private block = new Map<string, string>();

  constructor(private readonly onBlock: (block: ProgressBlock) => void) {}

  line(text: string): void {
    const eq = text.indexOf('=');
    if (eq <= 0) return;
    const key = text.slice(0, eq).trim();
    const value = text.slice(eq + 1).trim();
    if (key !== 'progress') {
      if (this.block.size < MAX_KEYS || this.block.has(key)) this.block.set(key, value);
      return;
    }
    const frame = count(this.block.get('frame'));
    const totalSize = count(this.block.get('total_size'));
    this.block = new Map();
    this.onBlock({ ...(frame === undefined ? {} : { frame }), ...(totalSize === undefined ? {} : { totalSize }) });
  }
}

function count(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}

/** ffmpeg reports every second: after this long without one, nothing is being sent */
const STALE_MS = 2500;

export interface Rates {
  fps: number;
  kbps: number;
}

/**
 * The sender's figures across ffmpeg runs (each restart counts from zero again): frames and encoded bytes sent in
 * all, the rates over the last few seconds, and the compression ratio, raw 4:2:0 frames (width × height × 1.5 bytes
 * each) over the bytes sent.
 */
export class SendFigures {
  private doneFrames = 0;
  private doneBytes = 0;
  private runFrames = 0;
  private runBytes = 0;
  private readonly samples: { at: number; frames: number; bytes: number }[] = [];

  /**
   * @param rawFrameBytes one raw frame: width × height × 1.5
   * @param windowMs the rates are taken over this long
   */
  constructor(private readonly rawFrameBytes: number, private readonly windowMs = 5000) {}

  /** A new ffmpeg run: its counters start from zero. */
  newRun(): void {
    this.doneFrames += this.runFrames;
    this.doneBytes += this.runBytes;
    this.runFrames = 0;
    this.runBytes = 0;
  }

  /** This run's totals so far (they only grow). */
  update(frames: number, bytes: number, at = Date.now()): void {
    this.runFrames = Math.max(this.runFrames, frames);
    this.runBytes = Math.max(this.runBytes, bytes);
    this.samples.push({ at, frames: this.frames, bytes: this.bytes });
    while (this.samples.length > 2 && this.samples[1]!.at <= at - this.windowMs) this.samples.shift();
  }

  get frames(): number {
    return this.doneFrames + this.runFrames;
  }

  get bytes(): number {
    return this.doneBytes + this.runBytes;
  }

  /**
   * Frames and kbit/s over the window, measured between ffmpeg's reports (about one a second); zero once reports
   * stop coming (the server is gone); undefined until a second of them is in.
   */
  rates(now = Date.now()): Rates | undefined {
    const last = this.samples[this.samples.length - 1];
    if (!last) return undefined;
    if (now - last.at > STALE_MS) return { fps: 0, kbps: 0 };
    const first = this.samples.find((sample) => sample.at >= last.at - this.windowMs)!;
    const seconds = (last.at - first.at) / 1000;
    if (seconds < 1) return undefined;
    return { fps: (last.frames - first.frames) / seconds, kbps: ((last.bytes - first.bytes) * 8) / 1000 / seconds };
  }

  /** Raw over encoded, e.g. 180 for 180:1; undefined before anything was sent. */
  get ratio(): number | undefined {
    return this.bytes > 0 && this.frames > 0 ? (this.frames * this.rawFrameBytes) / this.bytes : undefined;
  }
}

export interface StatusFigures {
  state: string;
  rates?: Rates;
  ratio?: number;
  frames: number;
  reconnects: number;
}

/** "live | 25.0 fps | 1987 kbit/s | ratio 212:1 | 1500 frames sent | 0 reconnects" (figures not known yet: "-"). */
export function formatStatus(figures: StatusFigures): string {
  const { rates, ratio } = figures;
  return [
    figures.state,
    `${rates ? rates.fps.toFixed(1) : '-'} fps`,
    `${rates ? Math.round(rates.kbps) : '-'} kbit/s`,
    `ratio ${ratio === undefined ? '-' : `${ratio >= 10 ? Math.round(ratio) : ratio.toFixed(1)}:1`}`,
    `${figures.frames} frame${figures.frames === 1 ? '' : 's'} sent`,
    `${figures.reconnects} reconnect${figures.reconnects === 1 ? '' : 's'}`,
  ].join(' | ');
}
