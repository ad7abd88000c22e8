import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ClipFrame, ClipMemory, ClipRecording, FrameRing } from '../../libs/alarms/src/clips';

const frame = (seq: number, ts: number, bytes = 100): ClipFrame => ({ seq, ts, width: 320, height: 240, data: Buffer.alloc(bytes) });
const run = (first: number, start: number, count: number, bytes = 100): ClipFrame[] =>
  Array.from({ length: count }, (_, i) => frame(first + i, start + i * 100, bytes));
const recordingOf = (id: string, memory: ClipMemory, from = 1000, to = 60_000) =>
  new ClipRecording({ id, camera: 'gate', window: { from, to }, maxMs: 120_000, memory });

describe('ClipMemory', () => {
  test('counts a frame held by two recordings once, and frees it when the last lets go', () => {
    const memory = new ClipMemory(10_000);
    const a = recordingOf('0lq5k3z8w0a1b2c3d4e', memory);
    const b = recordingOf('0lq5k3z8w0a1b2c3d4f', memory);
    for (const f of run(1, 1000, 10)) {
      a.push(f);
      b.push(f);
    }
    assert.equal(memory.bytes, 1000);
    a.release();
    assert.equal(memory.bytes, 1000, 'b still holds every frame');
    b.release();
    assert.equal(memory.bytes, 0);
  });

  test('a frame with the same seq but other bytes is another frame (seq starts over when ingest restarts)', () => {
    const memory = new ClipMemory(10_000);
    assert.ok(memory.take(frame(1, 1000)));
    assert.ok(memory.take(frame(1, 5000)));
    assert.equal(memory.bytes, 200);
  });

  test('past the budget a recording keeps its beginning and counts what it left out', () => {
    const memory = new ClipMemory(1_000);
    const recording = recordingOf('0lq5k3z8w0a1b2c3d4e', memory);
    for (const f of run(1, 1000, 25)) recording.push(f);
    assert.equal(memory.bytes, 1_000);
    assert.deepEqual(
      recording.frames().map((f) => f.seq),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    assert.equal(recording.stats.omitted, 15);
  });

  test('the ring counts against the same budget: a camera holds no more than maxBytes in all', () => {
    const ring = new FrameRing({ camera: 'gate', maxAgeMs: 60_000, maxBytes: 400 });
    const memory = new ClipMemory(1_000, () => ring.bytes);
    const a = recordingOf('0lq5k3z8w0a1b2c3d4e', memory);
    const b = recordingOf('0lq5k3z8w0a1b2c3d4f', memory, 3000);
    for (const f of run(1, 1000, 40)) {
      const kept = ring.push(f) ?? f;
      a.push(kept);
      b.push(kept);
      assert.ok(memory.total <= 1_000, `held ${memory.total} bytes after frame ${f.seq}`);
    }
    assert.equal(ring.bytes, 400);
    assert.equal(memory.total, 1_000);
    assert.ok(b.stats.omitted > 0 && a.stats.omitted > 0);
  });

  test('a release gives room to the next alarm of the camera', () => {
    const memory = new ClipMemory(500);
    const first = recordingOf('0lq5k3z8w0a1b2c3d4e', memory);
    for (const f of run(1, 1000, 5)) first.push(f);
    const second = recordingOf('0lq5k3z8w0a1b2c3d4f', memory, 2000);
    second.push(frame(20, 2000));
    assert.equal(second.stats.omitted, 1, 'full while the first is held');
    first.release();
    second.push(frame(21, 2100));
    assert.deepEqual(
      second.frames().map((f) => f.seq),
      [21],
    );
  });

  test('refuses a budget that is not a positive number', () => {
    assert.throws(() => new ClipMemory(0), RangeError);
    assert.throws(() => new ClipMemory(Number.NaN), RangeError);
  });
});
