/**
 * What a subscriber makes of a bus message: the value its channel promises, or a reason from a fixed set and a
 * detail that is safe for a log line. Anyone who can publish on Redis writes these bytes.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BAD_MESSAGE_REASONS,
  encodeFrame,
  MAX_DETECTIONS,
  MAX_EVENT_BYTES,
  printable,
  readAlarmMessage,
  readDetectionsMessage,
  readFrameMessage,
  readViolationMessage,
  type AlarmEvent,
  type BusRead,
  type DetectionsEvent,
  type ViolationEvent,
} from '@vigil/contracts';
import { headerOnlyJpeg as jpeg, testAlarmEvent, testDetections, testFrame as frame } from '../support/bus-fixtures';

const YARD = { camera: 'yard', stream: 'raw' } as const;
const MAX = 64 * 1024;

function refused<T>(read: BusRead<T>, reason: (typeof BAD_MESSAGE_REASONS)[number], detail?: RegExp): void {
  assert.equal(read.ok, false, 'refused');
  if (read.ok) return;
  assert.equal(read.reason, reason);
  if (detail) assert.match(read.detail, detail);
  assert.doesNotMatch(read.detail, /[\n\r\u0000-\u001f\u007f-\uffff]/, 'the detail is one printable ASCII line');
}

const detections = (overrides: Record<string, unknown> = {}): DetectionsEvent => testDetections(overrides as Partial<DetectionsEvent>);
const alarm = (overrides: Record<string, unknown> = {}): AlarmEvent => testAlarmEvent(overrides as Partial<AlarmEvent['alarm']>);

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

describe('readFrameMessage', () => {
  test('a frame of its channel, within the size, with a whole JPEG of the announced size, reads back', () => {
    const read = readFrameMessage(encodeFrame(frame()), YARD, MAX);
    assert.ok(read.ok);
    assert.equal(read.value.seq, 7);
  });

  test('a message over FRAME_MAX_BYTES is refused before it is decoded', () => {
    refused(readFrameMessage(Buffer.alloc(MAX + 1, 0xff), YARD, MAX), 'too_large', /FRAME_MAX_BYTES \(65536\)/);
  });

  test('bytes that are no envelope are refused', () => {
    for (const junk of [Buffer.alloc(0), Buffer.from('hello'), Buffer.alloc(100, 0xff), Buffer.from(JSON.stringify({ camera: 'yard' }))]) {
      refused(readFrameMessage(junk, YARD, MAX), 'envelope');
    }
  });

  test("an envelope naming another camera or stream is refused, and the name it claims is quoted safely", () => {
    refused(readFrameMessage(encodeFrame(frame({ camera: 'gate' })), YARD, MAX), 'wrong_channel', /"gate"\/"raw"/);
    refused(readFrameMessage(encodeFrame(frame({ stream: 'annotated' })), YARD, MAX), 'wrong_channel');
    const hostile = readFrameMessage(encodeFrame(frame({ camera: 'x\nERROR [Nest] forged line\u202e'.padEnd(200, 'y') })), YARD, MAX);
    refused(hostile, 'wrong_channel', /\\n/);
    assert.ok(!hostile.ok && hostile.detail.length < 150, 'the claimed name is cut short');
  });

  test('a payload without a JPEG header, of another size, or cut short is refused', () => {
    refused(readFrameMessage(encodeFrame(frame({ data: Buffer.from('not a jpeg at all') })), YARD, MAX), 'jpeg', /no JPEG header/);
    refused(readFrameMessage(encodeFrame(frame({ data: jpeg(320, 180) })), YARD, MAX), 'jpeg', /320x180, the envelope says 640x360/);
    refused(readFrameMessage(encodeFrame(frame({ data: jpeg(640, 360, false) })), YARD, MAX), 'jpeg', /cut short/);
  });
});

describe('readDetectionsMessage', () => {
  test('a valid event of its camera reads back', () => {
    const read = readDetectionsMessage(json(detections()), 'yard');
    assert.ok(read.ok);
    assert.deepEqual(read.value, detections());
  });

  test('unknown keys are stripped, so a client never receives what an attacker added', () => {
    const read = readDetectionsMessage(json({ ...detections(), script: '<img onerror=alert(1)>' }), 'yard');
    assert.ok(read.ok);
    assert.equal('script' in read.value, false);
  });

  test('not JSON, not an object, or an event of another camera is refused', () => {
    refused(readDetectionsMessage(Buffer.from('{"camera": "yard", '), 'yard'), 'json');
    refused(readDetectionsMessage(Buffer.from([0xff, 0xfe, 0x00]), 'yard'), 'json');
    for (const value of [42, null, 'yard', [detections()], true]) refused(readDetectionsMessage(json(value), 'yard'), 'schema');
    refused(readDetectionsMessage(json(detections({ camera: 'gate' })), 'yard'), 'wrong_channel');
  });

  test('wrong types are refused, naming the field', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ seq: '3' }, /^seq: /],
      [{ seq: -1 }, /^seq: /],
      [{ ts: 'now' }, /^ts: /],
      [{ width: 0 }, /^width: /],
      [{ detections: 'person' }, /^detections: /],
      [{ detections: [{ label: 'person', classId: 0, score: 2, box: [0, 0, 1, 1] }] }, /^detections\.0\.score: /],
      [{ detections: [{ label: 'person', classId: 0, score: 0.5, box: [0, 0, 1] }] }, /^detections\.0\.box: /],
      [{ detections: [{ label: 'x'.repeat(10_000), classId: 0, score: 0.5, box: [0, 0, 1, 1] }] }, /^detections\.0\.label: /],
      [{ detector: { name: 'motion' } }, /^detector: /],
      [{ inferenceMs: null }, /^inferenceMs: /],
    ];
    for (const [overrides, field] of cases) refused(readDetectionsMessage(json(detections(overrides)), 'yard'), 'schema', field);
  });

  test('too many detections, or a message over MAX_EVENT_BYTES, is refused', () => {
    const box = { label: 'person', classId: 0, score: 0.5, box: [0, 0, 1, 1] };
    refused(readDetectionsMessage(json(detections({ detections: new Array(MAX_DETECTIONS + 1).fill(box) })), 'yard'), 'schema', /^detections: /);
    refused(readDetectionsMessage(Buffer.alloc(MAX_EVENT_BYTES + 1, 0x20), 'yard'), 'too_large');
  });

  test('an enum value the attacker chose is quoted safely in the detail', () => {
    const read = readAlarmMessage(json({ ...alarm(), type: 'start\n[Nest] ERROR forged' }), 'yard');
    refused(read, 'schema', /^type: /);
  });
});

describe('readAlarmMessage and readViolationMessage', () => {
  test('valid events of the camera read back', () => {
    assert.ok(readAlarmMessage(json(alarm()), 'yard').ok);
    const violation: ViolationEvent = { camera: 'yard', rule: 'no-entry', kind: 'intrusion', classes: ['person'], score: 0.7, detections: [], seq: 5, ts: 1_700_000_000_000, frames: 3 };
    const read = readViolationMessage(JSON.stringify(violation));
    assert.ok(read.ok);
    assert.deepEqual(read.value, violation);
  });

  test('bad ids, kinds, cameras and missing fields are refused', () => {
    refused(readAlarmMessage(json(alarm({ id: '../../etc/passwd' })), 'yard'), 'schema', /^alarm\.id: /);
    refused(readAlarmMessage(json(alarm({ kind: 'fire' })), 'yard'), 'schema', /^alarm\.kind: /);
    refused(readAlarmMessage(json(alarm({ camera: 'gate' })), 'yard'), 'wrong_channel');
    refused(readAlarmMessage(json({ type: 'start' }), 'yard'), 'schema', /^alarm: /);
    refused(readViolationMessage(undefined), 'schema', /no event field/);
    refused(readViolationMessage('{not json'), 'json');
    refused(readViolationMessage(JSON.stringify({ camera: '../x', rule: 'r', ts: 1 })), 'schema', /^camera: /);
  });
});

describe('printable', () => {
  test('quotes, cuts and escapes everything but printable ASCII', () => {
    assert.equal(printable('yard'), '"yard"');
    assert.equal(printable('a\nb\u0000c\u202ed'), '"a\\nb\\u0000c\\u202ed"');
    assert.equal(printable('x'.repeat(100), 10), `"${'x'.repeat(10)}..."`);
  });
});
