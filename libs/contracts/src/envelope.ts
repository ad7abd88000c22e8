/**
 * The frame envelope: how one encoded frame travels over the Redis frame bus.
 *
 * Layout (version 1, big-endian):
 *   0  u8   version (= 1)
 *   1  u8   format code (1 = jpeg)
 *   2  u16  width
 *   4  u16  height
 *   6  u8   camera id length (bytes)
 *   7  u8   stream name length (bytes)
 *   8  f64  seq  (float64 keeps integers exact up to 2^53; u32 would wrap after months at 30 fps)
 *  16  f64  capture timestamp, epoch ms
 *  24  ...  camera id (utf8), stream name (utf8), then the payload bytes to the end
 *
 * A fixed binary header keeps the hot path free of JSON and base64: decoding is a few reads
 * and the payload is a view into the message, never a copy.
 */

export const ENVELOPE_VERSION = 1;
const FIXED_HEADER_BYTES = 24;

export const FRAME_FORMATS = ['jpeg'] as const;
export type FrameFormat = (typeof FRAME_FORMATS)[number];
const FORMAT_CODES: Record<FrameFormat, number> = { jpeg: 1 };

export interface FrameHeader {
  camera: string;
  stream: string;
  seq: number;
  /** capture time, epoch milliseconds */
  ts: number;
  width: number;
  height: number;
  format: FrameFormat;
}

export interface Frame extends FrameHeader {
  data: Buffer;
}

export class EnvelopeError extends Error {
  override name = 'EnvelopeError';
}

export function encodeFrame(frame: Frame): Buffer {
  const camera = Buffer.from(frame.camera, 'utf8');
  const stream = Buffer.from(frame.stream, 'utf8');
  if (camera.length === 0 || camera.length > 255) throw new EnvelopeError(`camera id must be 1-255 bytes, got ${camera.length}`);
  if (stream.length === 0 || stream.length > 255) throw new EnvelopeError(`stream name must be 1-255 bytes, got ${stream.length}`);
  if (!isDimension(frame.width) || !isDimension(frame.height)) {
    throw new EnvelopeError(`frame size ${frame.width}x${frame.height} is out of range`);
  }
  if (!Number.isSafeInteger(frame.seq) || frame.seq < 0) throw new EnvelopeError(`bad seq ${frame.seq}`);
  if (!Number.isFinite(frame.ts) || frame.ts < 0) throw new EnvelopeError(`bad timestamp ${frame.ts}`);
  const code = FORMAT_CODES[frame.format];
  if (code === undefined) throw new EnvelopeError(`unknown frame format ${String(frame.format)}`);

  const headerBytes = FIXED_HEADER_BYTES + camera.length + stream.length;
  const out = Buffer.allocUnsafe(headerBytes + frame.data.length);
  out.writeUInt8(ENVELOPE_VERSION, 0);
  out.writeUInt8(code, 1);
  out.writeUInt16BE(frame.width, 2);
  out.writeUInt16BE(frame.height, 4);
  out.writeUInt8(camera.length, 6);
  out.writeUInt8(stream.length, 7);
  out.writeDoubleBE(frame.seq, 8);
  out.writeDoubleBE(frame.ts, 16);
  camera.copy(out, FIXED_HEADER_BYTES);
  stream.copy(out, FIXED_HEADER_BYTES + camera.length);
  frame.data.copy(out, headerBytes);
  return out;
}

/** Decodes an envelope; `data` is a view into `bytes`, not a copy. Throws EnvelopeError on bad input. */
export function decodeFrame(bytes: Buffer): Frame {
  if (!Buffer.isBuffer(bytes)) throw new EnvelopeError('envelope must be a Buffer');
  if (bytes.length < FIXED_HEADER_BYTES) throw new EnvelopeError(`envelope too short: ${bytes.length} bytes`);
  const version = bytes.readUInt8(0);
  if (version !== ENVELOPE_VERSION) throw new EnvelopeError(`unsupported envelope version ${version}`);
  const format = formatOf(bytes.readUInt8(1));
  const cameraLength = bytes.readUInt8(6);
  const streamLength = bytes.readUInt8(7);
  const headerBytes = FIXED_HEADER_BYTES + cameraLength + streamLength;
  if (cameraLength === 0 || streamLength === 0) throw new EnvelopeError('envelope has an empty camera or stream name');
  if (bytes.length < headerBytes) throw new EnvelopeError('envelope truncated inside its header');
  const seq = bytes.readDoubleBE(8);
  const ts = bytes.readDoubleBE(16);
  if (!Number.isSafeInteger(seq) || seq < 0) throw new EnvelopeError(`bad seq ${seq}`);
  if (!Number.isFinite(ts) || ts < 0) throw new EnvelopeError(`bad timestamp ${ts}`);
  return {
    camera: bytes.toString('utf8', FIXED_HEADER_BYTES, FIXED_HEADER_BYTES + cameraLength),
    stream: bytes.toString('utf8', FIXED_HEADER_BYTES + cameraLength, headerBytes),
    seq,
    ts,
    width: bytes.readUInt16BE(2),
    height: bytes.readUInt16BE(4),
    format,
    data: bytes.subarray(headerBytes),
  };
}

function formatOf(code: number): FrameFormat {
  for (const format of FRAME_FORMATS) if (FORMAT_CODES[format] === code) return format;
  throw new EnvelopeError(`unknown frame format code ${code}`);
}

function isDimension(n: number): boolean {
  return Number.isInteger(n) && n > 0 && n <= 0xffff;
}
