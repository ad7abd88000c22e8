import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CaptureClock, CaptureTimedVideo, MAX_LATENESS_MS, pushEpoch } from '../../apps/egress/src/push/capture-clock';
import { matroskaFrame, matroskaHeader, vint } from '../../apps/egress/src/push/matroska-mjpeg';

const START = 1_700_000_000_000;

describe('CaptureClock', () => {
  const epoch = pushEpoch(START);

  test("a push's timeline starts MAX_LATENESS_MS before it, so a frame captured that long before the start is at 0 or after", () => {
    assert.equal(epoch, START - MAX_LATENESS_MS);
    assert.deepEqual(new CaptureClock(epoch).stamp(START - MAX_LATENESS_MS, START), { ms: 0, restamped: false });
  });

  // the bug guarded: frames stamped on arrival, so the pipeline's delay came between the picture and the sound
  test('a frame is stamped with its capture time, however late it came', () => {
    const clock = new CaptureClock(epoch);
    assert.deepEqual(clock.stamp(START + 1000, START + 1400), { ms: MAX_LATENESS_MS + 1000, restamped: false });
    assert.deepEqual(clock.stamp(START + 1040, START + 1045), { ms: MAX_LATENESS_MS + 1040, restamped: false });
    assert.deepEqual(clock.stamp(START + 1080.6, START + 3000), { ms: MAX_LATENESS_MS + 1081, restamped: false });
  });

  test('an implausible capture time (too late, or after the arrival: clocks apart, a replayed record) gives way to the arrival', () => {
    const clock = new CaptureClock(epoch);
    assert.deepEqual(clock.stamp(START - 10_000, START + 2000), { ms: MAX_LATENESS_MS + 2000, restamped: true });
    assert.deepEqual(clock.stamp(START + 9_000_000, START + 2040), { ms: MAX_LATENESS_MS + 2040, restamped: true });
    assert.deepEqual(clock.stamp(0, START + 2080), { ms: MAX_LATENESS_MS + 2080, restamped: true });
  });

  test('stamps only go forward: a frame captured before the last one written goes 1 ms after it', () => {
    const clock = new CaptureClock(epoch);
    assert.equal(clock.stamp(START + 500, START + 600).ms, MAX_LATENESS_MS + 500);
    assert.equal(clock.stamp(START + 400, START + 610).ms, MAX_LATENESS_MS + 501);
    assert.equal(clock.stamp(START + 501, START + 620).ms, MAX_LATENESS_MS + 502);
  });
});

describe('Matroska for one MJPEG track', () => {
  test('EBML sizes: the length marker, and all ones (reserved for "unknown") never written for a size', () => {
    assert.deepEqual([...vint(0)], [0x80]);
    assert.deepEqual([...vint(126)], [0xfe]);
    assert.deepEqual([...vint(127)], [0x40, 0x7f]);
    assert.deepEqual([...vint(16_382)], [0x7f, 0xfe]);
    assert.deepEqual([...vint(16_383)], [0x20, 0x3f, 0xff]);
    assert.deepEqual([...vint(2 ** 28)], [0x08, 0x10, 0x00, 0x00, 0x00]);
  });

  test('a frame is a cluster at its timestamp holding one keyframe block of track 1 with the JPEG as it is', () => {
    const jpeg = Buffer.from([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
    const frame = matroskaFrame(300, jpeg);
    // cluster id, size 17: timestamp element (e7, size 2, 0x012c), simple block (a3, size 11: track, 0 offset, flags, JPEG)
    assert.deepEqual([...frame], [0x1f, 0x43, 0xb6, 0x75, 0x91, 0xe7, 0x82, 0x01, 0x2c, 0xa3, 0x8b, 0x81, 0x00, 0x00, 0x80, ...jpeg]);
  });

  test('a timestamp must be a whole number of ms, not negative', () => {
    for (const ms of [-1, 0.5, Number.NaN, 2 ** 60]) assert.throws(() => matroskaFrame(ms, Buffer.alloc(1)), /whole number of ms/);
  });

  test('the header: an EBML document of type matroska, the segment of unknown size, the track V_MJPEG at the frame size', () => {
    const header = matroskaHeader(321, 181);
    assert.deepEqual([...header.subarray(0, 4)], [0x1a, 0x45, 0xdf, 0xa3]);
    assert.ok(header.includes(Buffer.from('matroska')));
    assert.ok(header.includes(Buffer.from([0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])));
    assert.ok(header.includes(Buffer.from('V_MJPEG')));
    assert.ok(header.includes(Buffer.from([0xb0, 0x82, 0x01, 0x41])), 'PixelWidth 321');
    assert.ok(header.includes(Buffer.from([0xba, 0x81, 0xb5])), 'PixelHeight 181');
  });

  test("CaptureTimedVideo puts the header in front of the push's first frame only", () => {
    const video = new CaptureTimedVideo(pushEpoch(START), 320, 180);
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);
    const first = video.frame(jpeg, START, START + 100);
    assert.deepEqual(first.bytes, Buffer.concat([matroskaHeader(320, 180), matroskaFrame(MAX_LATENESS_MS, jpeg)]));
    assert.deepEqual(video.frame(jpeg, START + 40, START + 140).bytes, matroskaFrame(MAX_LATENESS_MS + 40, jpeg));
  });
});
