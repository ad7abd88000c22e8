import type { ClipFrame } from './clip-frame';
import type { ClipMemory } from './clip-memory';
import type { ClipWindow } from './clip-window';
import { selectClipFrames } from './select-clip-frames';

export interface ClipRecordingOptions<F extends ClipFrame = ClipFrame> {
  /** the alarm id and camera, named in errors and logs */
  id: string;
  camera: string;
  /** the window to record, from `clipWindow()` */
  window: ClipWindow;
  /** the window never reaches past `from + maxMs`, however often it is extended (ClipTiming.maxMs) */
  maxMs: number;
  /** frames kept at most. Default 3,600 (two minutes at 30 fps). */
  maxFrames?: number;
  /** JPEG bytes kept at most. Default 256 MiB. */
  maxBytes?: number;
  /** the camera's budget, shared with its ring and its other recordings; `release()` gives the frames back */
  memory?: ClipMemory;
  /** hears each live frame the recording keeps (not those it starts with), e.g. to write it through to disk */
  onKeep?: (frame: F) => void;
}

export interface ClipRecordingStats {
  frames: number;
  bytes: number;
  /** frames of the window left out because maxFrames, maxBytes or the camera's memory budget was reached */
  omitted: number;
}

const DEFAULTS = { maxFrames: 3_600, maxBytes: 256 * 1024 * 1024 };

/**
 * Collects the frames of one alarm's clip: the ring's frames at the alarm's start, then live frames until one
 * arrives from past the window's end. It holds no timer: when a camera stops sending, the caller calls `finish()`.
 *
 * The window can only be extended before it is complete, so `postMs` should exceed the time from capture to
 * violation (detection latency); otherwise frames past the old end complete the clip before the extension comes.
 * When the limits are reached the clip keeps its beginning, which shows what raised the alarm, and later frames are
 * left out (and counted).
 */
export class ClipRecording<F extends ClipFrame = ClipFrame> {
  readonly id: string;
  readonly camera: string;
  private current: ClipWindow;
  private readonly limitTo: number;
  private readonly maxFrames: number;
  private readonly maxBytes: number;
  private readonly memory?: ClipMemory;
  private onKeep?: (frame: F) => void;
  private readonly held = new Map<number, F>();
  /** the newest frame before the window, which opens the clip when no frame lies exactly at its start */
  private lead?: F;
  private heldBytes = 0;
  private omitted = 0;
  private done = false;

  constructor(options: ClipRecordingOptions<F>, initial: Iterable<F> = []) {
    const { id, camera, window } = options;
    this.id = id;
    this.camera = camera;
    this.maxFrames = options.maxFrames ?? DEFAULTS.maxFrames;
    this.maxBytes = options.maxBytes ?? DEFAULTS.maxBytes;
    this.memory = options.memory;
    if (!(window.from <= window.to)) throw new RangeError(`clip ${id} (camera ${camera}): window ${window.from}..${window.to} is empty`);
    if (!(options.maxMs > 0) || !(this.maxFrames > 0) || !(this.maxBytes > 0)) {
      throw new RangeError(`clip ${id} (camera ${camera}): maxMs, maxFrames and maxBytes must be > 0`);
    }
    this.limitTo = window.from + options.maxMs;
    this.current = { from: window.from, to: Math.min(window.to, this.limitTo) };
    // in capture order, so that a frame past the end completes the clip only after every frame before it
    for (const frame of [...initial].sort((a, b) => a.ts - b.ts)) this.push(frame);
    this.onKeep = options.onKeep;
  }

  get window(): ClipWindow {
    return { ...this.current };
  }

  /** True once a frame from past the window arrived, or `finish()` was called; the frames will not change. */
  get complete(): boolean {
    return this.done;
  }

  get stats(): ClipRecordingStats {
    return { frames: this.held.size + (this.lead ? 1 : 0), bytes: this.heldBytes, omitted: this.omitted };
  }

  /** Takes a live frame; returns whether the recording still wants frames. */
  push(frame: F): boolean {
    if (this.done) return false;
    const { from, to } = this.current;
    if (frame.ts > to) {
      this.done = true;
      return false;
    }
    if (frame.ts < from) {
      if (!this.lead || frame.ts > this.lead.ts) this.replaceLead(frame);
      return true;
    }
    if (this.held.has(frame.seq)) return true;
    if (this.held.size + 1 > this.maxFrames || this.heldBytes + frame.data.length > this.maxBytes || this.memory?.take(frame) === false) {
      this.omitted += 1;
      return true;
    }
    this.held.set(frame.seq, frame);
    this.heldBytes += frame.data.length;
    this.onKeep?.(frame);
    return true;
  }

  /** Moves the window's end to `to` (the alarm lasts), never past the cap and never backwards; returns the window. */
  extendTo(to: number): ClipWindow {
    if (!this.done && Number.isFinite(to)) this.current.to = Math.max(this.current.to, Math.min(to, this.limitTo));
    return this.window;
  }

  /** Ends the recording with what it has (the camera stopped sending, or the service is stopping). */
  finish(): void {
    this.done = true;
  }

  /** Gives the frames back to the camera's memory budget; call once the clip is encoded or given up. */
  release(): void {
    this.done = true;
    for (const frame of this.held.values()) this.memory?.release(frame);
    if (this.lead) this.memory?.release(this.lead);
    this.held.clear();
    this.lead = undefined;
    this.heldBytes = 0;
  }

  /** The clip's frames so far, in capture order. */
  frames(): F[] {
    return selectClipFrames(this.lead ? [this.lead, ...this.held.values()] : this.held.values(), this.current);
  }

  private replaceLead(frame: F): void {
    // a lead the budget cannot take keeps the older one: the clip then opens a little earlier
    if (this.memory?.take(frame) === false) return;
    if (this.lead) this.memory?.release(this.lead);
    this.heldBytes += frame.data.length - (this.lead?.data.length ?? 0);
    this.lead = frame;
  }
}
