import type { LiveEncoder, LiveEncodeSettings } from '@vigil/media/encoder';
import { SEND_DEFAULTS } from './send-defaults';
import type { SendOptions } from './send-options';
import type { SendSource, Size } from './send-source';
import type { SourceFormat } from './source-probe';

/** What every ffmpeg run of the sender does, settled at start: the source, the encoder, the output size and rate. */
export interface SendPlan extends LiveEncodeSettings {
  source: SendSource;
  encoder: LiveEncoder;
  /** the output size (even) */
  size: Size;
  /** the size asked of the source itself: a test pattern's, a camera's when --size was given */
  inputSize?: Size;
}

/**
 * The plan from the options and what the source said of itself (absent for a test pattern): the size and rate asked
 * for, else the source's own (its size rounded down to even numbers, as 4:2:0 needs), else the defaults.
 */
export function planFor(options: SendOptions, format: SourceFormat | undefined, encoder: LiveEncoder): SendPlan {
  const synthetic = options.source.kind === 'test';
  const own = format ? { width: even(format.width), height: even(format.height) } : SEND_DEFAULTS.testSize;
  const size = options.size ?? own;
  const fps = options.fps ?? (format?.fps ? Math.max(1, Math.round(format.fps)) : SEND_DEFAULTS.fps);
  const inputSize = synthetic ? size : options.source.kind === 'device' ? options.size : undefined;
  return { source: options.source, encoder, size, fps, bitrateKbps: options.bitrateKbps, keyframeSeconds: options.keyframeSeconds, ...(inputSize ? { inputSize } : {}) };
}

function even(value: number): number {
  return Math.max(2, value - (value % 2));
}

/** Bytes of one raw 4:2:0 frame at the output size: what the compression ratio compares the stream with. */
export function rawFrameBytes(size: Size): number {
  return size.width * size.height * 1.5;
}
