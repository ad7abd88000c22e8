/**
 * Reading a message off the bus as the thing its channel promises, or saying why not. Anyone who can publish on
 * Redis can put any bytes on any channel: every subscriber reads through these, drops what fails, and counts it
 * under one of a fixed set of reasons (never text from the message, which an attacker chooses).
 */
import type { ZodType } from 'zod';
import { alarmEventSchema, detectionsEventSchema, violationEventSchema } from './bus-events';
import type { AlarmEvent } from './alarm';
import type { StreamName } from './channels';
import type { DetectionsEvent, ViolationEvent } from './detection';
import { decodeFrame, type Frame } from './envelope';
import { jpegSize } from './jpeg-size';

export const BAD_MESSAGE_REASONS = ['too_large', 'envelope', 'wrong_channel', 'jpeg', 'json', 'schema'] as const;
export type BadMessageReason = (typeof BAD_MESSAGE_REASONS)[number];

export type BusRead<T> = { ok: true; value: T } | { ok: false; reason: BadMessageReason; detail: string };

/** Detections and alarm events are small JSON (a valid one is far below this); a larger message is not parsed. */
export const MAX_EVENT_BYTES = 256 * 1024;

/**
 * A frame of `expected`'s channel: at most `maxBytes` (FRAME_MAX_BYTES), a valid envelope naming that camera and
 * stream, carrying a whole JPEG (start and end markers) of the size the envelope announces. Entropy-coded garbage
 * between the markers is only found by decoding; the decoders drop such a frame and report it the same way.
 */
export function readFrameMessage(message: Buffer, expected: { camera: string; stream: StreamName }, maxBytes: number): BusRead<Frame> {
  if (message.length > maxBytes) return bad('too_large', `${message.length} bytes, more than FRAME_MAX_BYTES (${maxBytes})`);
  let frame: Frame;
  try {
    frame = decodeFrame(message);
  } catch (error) {
    return bad('envelope', (error as Error).message);
  }
  if (frame.camera !== expected.camera || frame.stream !== expected.stream) {
    return bad('wrong_channel', `the envelope names ${printable(frame.camera)}/${printable(frame.stream)}`);
  }
  const size = jpegSize(frame.data);
  if (!size) return bad('jpeg', `the ${frame.data.length} payload bytes have no JPEG header`);
  if (size.width !== frame.width || size.height !== frame.height) {
    return bad('jpeg', `the JPEG is ${size.width}x${size.height}, the envelope says ${frame.width}x${frame.height}`);
  }
  const end = frame.data.length;
  if (frame.data[end - 2] !== 0xff || frame.data[end - 1] !== 0xd9) return bad('jpeg', 'the JPEG is cut short (no end-of-image marker)');
  return { ok: true, value: frame };
}

/** A DetectionsEvent of `camera`'s detections channel. */
export function readDetectionsMessage(message: Buffer, camera: string): BusRead<DetectionsEvent> {
  const read = readJson(message, detectionsEventSchema);
  if (read.ok && read.value.camera !== camera) return bad('wrong_channel', `the event names camera ${printable(read.value.camera)}`);
  return read;
}

/** An AlarmEvent of `camera`'s live alarm channel. */
export function readAlarmMessage(message: Buffer, camera: string): BusRead<AlarmEvent> {
  const read = readJson(message, alarmEventSchema);
  if (read.ok && read.value.alarm.camera !== camera) return bad('wrong_channel', `the event names camera ${printable(read.value.alarm.camera)}`);
  return read;
}

/** The `event` field of a violations stream entry. */
export function readViolationMessage(message: string | undefined): BusRead<ViolationEvent> {
  return message === undefined ? bad('schema', 'the entry has no event field') : readJson(message, violationEventSchema);
}

function readJson<T>(message: Buffer | string, schema: ZodType<T>): BusRead<T> {
  const bytes = Buffer.byteLength(message);
  if (bytes > MAX_EVENT_BYTES) return bad('too_large', `${bytes} bytes, more than the ${MAX_EVENT_BYTES} an event may have`);
  let json: unknown;
  try {
    json = JSON.parse(message.toString());
  } catch {
    return bad('json', `${bytes} bytes that are not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0]!;
  // the path holds only the schema's keys and indices (unknown keys are stripped); the message may quote a value
  return bad('schema', `${issue.path.join('.') || '(root)'}: ${printable(issue.message)}`);
}

function bad(reason: BadMessageReason, detail: string): { ok: false; reason: BadMessageReason; detail: string } {
  return { ok: false, reason, detail };
}

/** Text from a message, made safe for a log line: at most `max` characters, quoted, anything but printable ASCII escaped. */
export function printable(text: string, max = 64): string {
  const cut = text.length > max ? `${text.slice(0, max)}...` : text;
  return JSON.stringify(cut).replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
