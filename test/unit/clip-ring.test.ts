import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ClipFrame, FrameRing } from '../../libs/alarms/src/clips';

const T0 = 1_700_000_000_000;
const frame = (seq: number, ts: number, bytes = 100): ClipFrame => ({ seq, ts, width: 320, height: 240, data: Buffer.alloc(bytes, seq % 256) });
/** Frames seq 1..count, `gap` ms apart from T0. */
const stream = (count: number, gap = 100, bytes = 100): ClipFrame[] => Array.from({ length: count }, (_, i) => frame(i + 1, T0 + i * gap, bytes));
const seqs = (ring: FrameRing): number[] => ring.frames().map((f) => f.seq);

describe('FrameRing', () => {
  test('holds frames oldest first and finds them by seq', () => {
    const ring = new FrameRing({ camera: 'gate', maxAgeMs: 10_000 });
    for (const f of stream(5)) ring.push(f);
    assert.deepEqual(seqs(ring), [1, 2, 3, 4, 5]);
    assert.equal(ring.size, 5);
    assert.equal(ring.bytes, 500);
    assert.equal(ring.find(3)?.ts, T0 + 200);
    assert.equal(ring.find(99), undefined);
  });

  test('reaches maxAgeMs back from the newest frame; frames aging out are not counted as drops', () => {
    const ring = new FrameRing({ camera: 'gate', maxAgeMs: 1000 });
    for (const f of stream(30)) ring.push(f);
    const held = ring.frames();
    assert.equal(held[0].ts, T0 + 1900, 'newest is T0 + 2900; 1000 ms back is included');
    assert.equal(held.at(-1)?.ts, T0 + 2900);
    assert.equal(ring.stats.dropped, 0);
    assert.equal(ring.find(1), undefined, 'an aged-out frame is no longer found');
  });

  test('maxBytes pushes out the oldest first and counts each as dropped', () => {
    const ring = new FrameRing({ camera: 'gate', maxAgeMs: 60_000, maxBytes: 1000 });
    for (const f of stream(15, 100, 300)) ring.push(f);
    assert.deepEqual(seqs(ring), [13, 14, 15]);
    assert.equal(ring.bytes, 900);
    assert.equal(ring.stats.dropped, 12);
  });

  test('maxFrames bounds tiny frames too', () => {
    const ring = new FrameRing({ camera: 'gate', maxAgeMs: 60_000, maxFrames: 4 });
    for (const f of stream(10, 100, 0)) ring.push(f);
    assert.deepEqual(seqs(ring), [7, 8, 9, 10]);
    assert.equal(ring.stats.dropped, 6);
  });

  test('a frame bigger than maxBytes on its own is refused instead of emptying the ring', () => {
    const ring = new FrameRing({ camera: 'gate', maxBytes: 1000 });
    for (const f of stream(3)) ring.push(f);
    ring.push(frame(4, T0 + 300, 5000));
    assert.deepEqual(seqs(ring), [1, 2, 3]);
    assert.equal(ring.stats.dropped, 1);
  });

  test('a seq already held is a duplicate: ignored and counted, the first copy stays', () => {
    const ring = new FrameRing({ camera: 'gate' });
    ring.push(frame(1, T0));
    ring.push(frame(2, T0 + 100));
    ring.push(frame(2, T0 + 150, 700));
    assert.deepEqual(seqs(ring), [1, 2]);
    assert.equal(ring.find(2)?.ts, T0 + 100);
    assert.equal(ring.bytes, 200);
    assert.equal(ring.stats.duplicates, 1);
  });

  test('a frame arriving late takes its place by capture time', () => {
    const ring = new FrameRing({ camera: 'gate', maxAgeMs: 10_000 });
    for (const f of [frame(1, T0), frame(3, T0 + 200), frame(4, T0 + 300), frame(2, T0 + 100), frame(0, T0 - 100)]) ring.push(f);
    assert.deepEqual(seqs(ring), [0, 1, 2, 3, 4]);
    assert.equal(ring.stats.resets, 0);
  });

  test('a capture time far backwards (camera or host restarted, clock set back) starts the ring over', () => {
    const ring = new FrameRing({ camera: 'gate', maxAgeMs: 1000 });
    for (const f of stream(5)) ring.push(f);
    ring.push(frame(6, T0 - 60_000));
    ring.push(frame(7, T0 - 59_900));
    assert.deepEqual(seqs(ring), [6, 7]);
    assert.equal(ring.bytes, 200);
    assert.equal(ring.find(1), undefined);
    assert.equal(ring.stats.resets, 1);
    assert.equal(ring.stats.dropped, 0);
  });

  test('a frame that views a larger buffer (a bus message) is copied, so the ring holds only what it counts', () => {
    const message = Buffer.from('header:' + 'x'.repeat(100));
    const view = message.subarray(7);
    const ring = new FrameRing({ camera: 'gate' });
    ring.push({ seq: 1, ts: T0, width: 2, height: 2, data: view });
    message.fill('z');
    const held = ring.find(1);
    assert.equal(held?.data.toString(), 'x'.repeat(100), 'the bytes were copied before the message was reused');
    assert.equal(held?.data.buffer.byteLength, 100, 'and the copy owns exactly its bytes');
  });

  test('a frame owning its buffer is kept as it is, not copied', () => {
    const data = Buffer.allocUnsafeSlow(50);
    const ring = new FrameRing({ camera: 'gate' });
    ring.push({ seq: 1, ts: T0, width: 2, height: 2, data });
    assert.equal(ring.find(1)?.data, data);
  });

  test('frames() is a snapshot: later pushes do not change it', () => {
    const ring = new FrameRing({ camera: 'gate' });
    ring.push(frame(1, T0));
    const before = ring.frames();
    ring.push(frame(2, T0 + 100));
    assert.equal(before.length, 1);
  });

  test('clear() empties it', () => {
    const ring = new FrameRing({ camera: 'gate' });
    for (const f of stream(3)) ring.push(f);
    ring.clear();
    assert.deepEqual([ring.size, ring.bytes, ring.find(1)], [0, 0, undefined]);
  });

  test('refuses limits that are not positive, naming the camera', () => {
    assert.throws(() => new FrameRing({ camera: 'gate', maxAgeMs: 0 }), /camera "gate": maxAgeMs must be > 0/);
    assert.throws(() => new FrameRing({ camera: 'gate', maxBytes: Number.NaN }), /maxBytes/);
    assert.throws(() => new FrameRing({ camera: 'gate', maxFrames: -1 }), /maxFrames/);
  });
});
