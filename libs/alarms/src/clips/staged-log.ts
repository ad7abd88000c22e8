import { type FileHandle, open } from 'node:fs/promises';
import { decodeFrame, encodeFrame, type Frame } from '@vigil/contracts';
import type { ClipFrame } from './clip-frame';

/**
 * A staged clip's frames as one append-only file: each record is a u32 (big-endian) length and then the frame in the
 * bus's own envelope (libs/contracts). Appending is one write per batch of frames on a file kept open, so a
 * recording can write its frames through as they arrive; a process killed mid-append leaves at most one torn record
 * at the end, which the reader stops before.
 */
export const LOG_LENGTH_BYTES = 4;

const NO_DATA = Buffer.alloc(0);

/**
 * One record's bytes for `frame` of `camera`, as pieces for one writev: the envelope's payload runs to its end, so
 * its header and the JPEG are written side by side and the JPEG is never copied.
 */
export function logRecord(camera: string, frame: ClipFrame): Buffer[] {
  const header = encodeFrame({ camera, stream: 'raw', format: 'jpeg', seq: frame.seq, ts: frame.ts, width: frame.width, height: frame.height, data: NO_DATA });
  const length = Buffer.allocUnsafe(LOG_LENGTH_BYTES);
  length.writeUInt32BE(header.length + frame.data.length, 0);
  return [length, header, frame.data];
}

export interface LogLimits {
  maxFrames: number;
  maxFrameBytes: number;
  maxBytes: number;
}

export interface ReadLog {
  frames: Frame[];
  /** where the last whole record ends: an append resumes there (anything after is a torn record) */
  validBytes: number;
  /** the file ended inside a record (the writer was killed mid-append) */
  torn: boolean;
}

/** Reads a log back, checking every record like any input; throws naming what is wrong (`what` names the clip). */
export async function readLog(path: string, camera: string, limits: LogLimits, what: string): Promise<ReadLog> {
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    const frames: Frame[] = [];
    let offset = 0;
    let total = 0;
    const lengthBytes = Buffer.alloc(LOG_LENGTH_BYTES);
    while (offset + LOG_LENGTH_BYTES <= size) {
      await readExactly(handle, lengthBytes, offset);
      const length = lengthBytes.readUInt32BE(0);
      if (length > limits.maxFrameBytes) throw new Error(`${what}: a record of ${length} bytes at ${offset}`);
      if (offset + LOG_LENGTH_BYTES + length > size) break; // torn: the writer died inside this record
      if (frames.length >= limits.maxFrames) throw new Error(`${what}: more than ${limits.maxFrames} frames`);
      total += length;
      if (total > limits.maxBytes) throw new Error(`${what}: its frames pass ${limits.maxBytes} bytes`);
      const record = Buffer.allocUnsafe(length);
      await readExactly(handle, record, offset + LOG_LENGTH_BYTES);
      const frame = decodeFrame(record);
      if (frame.camera !== camera || frame.stream !== 'raw') throw new Error(`${what}: a frame of ${frame.camera}/${frame.stream} at ${offset}`);
      frames.push(frame);
      offset += LOG_LENGTH_BYTES + length;
    }
    return { frames, validBytes: offset, torn: offset < size };
  } finally {
    await handle.close();
  }
}

async function readExactly(handle: FileHandle, into: Buffer, position: number): Promise<void> {
  const { bytesRead } = await handle.read(into, 0, into.length, position);
  if (bytesRead !== into.length) throw new Error(`short read at ${position}`);
}
