import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AlarmRecord } from '@vigil/contracts';
import { clipWindow, selectClipFrames, type TimedFrame } from '../../libs/alarms/src/clips';

/** Frames seq 1.. at the given capture times. */
const at = (...times: number[]): TimedFrame[] => times.map((ts, i) => ({ seq: i + 1, ts }));
const times = (frames: TimedFrame[]): number[] => frames.map((frame) => frame.ts);

describe('selectClipFrames', () => {
  test('a frame exactly at the start opens the clip; nothing earlier is added', () => {
    assert.deepEqual(times(selectClipFrames(at(800, 900, 1000, 1100, 1200), { from: 1000, to: 1200 })), [1000, 1100, 1200]);
  });

  test('without a frame at the start, the last frame before it opens the clip, so the clip shows the start', () => {
    assert.deepEqual(times(selectClipFrames(at(850, 950, 1050, 1150), { from: 1000, to: 1200 })), [950, 1050, 1150]);
  });

  test('a gap across the start: the frame before the gap opens the clip, however long ago', () => {
    assert.deepEqual(times(selectClipFrames(at(100, 200, 1400, 1500), { from: 1000, to: 2000 })), [200, 1400, 1500]);
  });

  test('both ends are included; frames after the end are not', () => {
    assert.deepEqual(times(selectClipFrames(at(1000, 1500, 2000, 2001, 2500), { from: 1000, to: 2000 })), [1000, 1500, 2000]);
  });

  test('frames given out of order come back in capture order', () => {
    assert.deepEqual(times(selectClipFrames(at(1300, 900, 1100, 1200, 1000), { from: 950, to: 1250 })), [900, 1000, 1100, 1200]);
  });

  test('equal capture times are ordered by seq', () => {
    const frames = [{ seq: 7, ts: 1000 }, { seq: 5, ts: 1000 }];
    assert.deepEqual(selectClipFrames(frames, { from: 1000, to: 1000 }).map((f) => f.seq), [5, 7]);
  });

  test('a seq given twice appears once, at its earliest capture time', () => {
    const frames = [{ seq: 1, ts: 1000 }, { seq: 2, ts: 1100 }, { seq: 2, ts: 1050 }, { seq: 1, ts: 1000 }, { seq: 3, ts: 1200 }];
    assert.deepEqual(selectClipFrames(frames, { from: 1000, to: 1200 }), [{ seq: 1, ts: 1000 }, { seq: 2, ts: 1050 }, { seq: 3, ts: 1200 }]);
  });

  test('a duplicate of the opening frame does not push a second copy into the clip', () => {
    const frames = [{ seq: 1, ts: 900 }, { seq: 1, ts: 900 }, { seq: 2, ts: 1100 }];
    assert.deepEqual(selectClipFrames(frames, { from: 1000, to: 1200 }).map((f) => f.seq), [1, 2]);
  });

  test('no frames, no clip', () => {
    assert.deepEqual(selectClipFrames([], { from: 0, to: 1000 }), []);
  });

  test('frames only from before the window make no clip (a lone stale frame is not this window)', () => {
    assert.deepEqual(selectClipFrames(at(100, 200), { from: 1000, to: 2000 }), []);
  });

  test('frames only after the window make no clip', () => {
    assert.deepEqual(selectClipFrames(at(2100, 2200), { from: 1000, to: 2000 }), []);
  });

  test('a frame with no usable capture time is left out instead of breaking the order', () => {
    assert.deepEqual(times(selectClipFrames(at(1000, Number.NaN, 1100), { from: 1000, to: 2000 })), [1000, 1100]);
  });

  test('the frames given are not reordered in place', () => {
    const frames = at(1200, 1000, 1100);
    selectClipFrames(frames, { from: 1000, to: 2000 });
    assert.deepEqual(times(frames), [1200, 1000, 1100]);
  });

  test('keeps the frame objects themselves (their JPEG bytes come along)', () => {
    const frames = [{ seq: 1, ts: 1000, data: Buffer.from('a') }];
    assert.equal(selectClipFrames(frames, { from: 1000, to: 1000 })[0], frames[0]);
  });
});

describe('clipWindow', () => {
  const timing = { preMs: 3000, postMs: 5000, maxMs: 60_000 };

  test('runs from pre before the first violation to post after the last', () => {
    assert.deepEqual(clipWindow({ startedAt: 100_000, lastSeenAt: 112_000 }, timing), { from: 97_000, to: 117_000 });
  });

  test('an alarm that lasts is capped at maxMs from the clip start', () => {
    assert.deepEqual(clipWindow({ startedAt: 100_000, lastSeenAt: 400_000 }, timing), { from: 97_000, to: 157_000 });
  });

  test('a single violating frame still gets pre and post', () => {
    assert.deepEqual(clipWindow({ startedAt: 100_000, lastSeenAt: 100_000 }, timing), { from: 97_000, to: 105_000 });
  });

  test('pre and post may be zero', () => {
    assert.deepEqual(clipWindow({ startedAt: 100_000, lastSeenAt: 101_000 }, { preMs: 0, postMs: 0, maxMs: 10_000 }), { from: 100_000, to: 101_000 });
  });

  test('a last violation before the first (a bug upstream) still covers the start', () => {
    assert.deepEqual(clipWindow({ startedAt: 100_000, lastSeenAt: 90_000 }, timing), { from: 97_000, to: 105_000 });
  });

  test('takes an alarm record as it is; when it ended plays no part', () => {
    const alarm = { startedAt: 100_000, lastSeenAt: 112_000, endedAt: 142_000 } satisfies Partial<AlarmRecord>;
    assert.deepEqual(clipWindow(alarm, timing), { from: 97_000, to: 117_000 });
  });

  test('refuses timings that make no sense, naming the field', () => {
    const alarm = { startedAt: 100_000, lastSeenAt: 100_000 };
    assert.throws(() => clipWindow(alarm, { ...timing, preMs: -1 }), /preMs must be a finite number >= 0/);
    assert.throws(() => clipWindow(alarm, { ...timing, postMs: Number.NaN }), /postMs/);
    assert.throws(() => clipWindow(alarm, { ...timing, maxMs: Number.POSITIVE_INFINITY }), /maxMs/);
    assert.throws(() => clipWindow(alarm, { ...timing, maxMs: 3000 }), /maxMs \(3000\) must exceed preMs \(3000\)/);
  });
});
