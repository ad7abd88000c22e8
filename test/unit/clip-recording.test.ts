import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ClipFrame, ClipRecording, type ClipRecordingOptions } from '../../libs/alarms/src/clips';

const frame = (seq: number, ts: number, bytes = 100): ClipFrame => ({ seq, ts, width: 320, height: 240, data: Buffer.alloc(bytes) });
/** Frames seq first.., one every 100 ms from ts `start`. */
const run = (first: number, start: number, count: number, bytes = 100): ClipFrame[] =>
  Array.from({ length: count }, (_, i) => frame(first + i, start + i * 100, bytes));
const times = (recording: ClipRecording): number[] => recording.frames().map((f) => f.ts);
const options = (overrides: Partial<ClipRecordingOptions> = {}): ClipRecordingOptions => ({
  id: '0lq5k3z8w0a1b2c3d4e',
  camera: 'gate',
  window: { from: 1000, to: 2000 },
  maxMs: 5000,
  ...overrides,
});

describe('ClipRecording', () => {
  test('starts from the ring: the last frame before the window and everything in it, nothing older', () => {
    const recording = new ClipRecording(options(), run(1, 550, 8)); // 550 .. 1250
    assert.deepEqual(times(recording), [950, 1050, 1150, 1250]);
    assert.equal(recording.stats.frames, 4, 'older frames are not even held');
    assert.equal(recording.complete, false);
  });

  test('takes live frames until one from past the end arrives, which completes it and is left out', () => {
    const recording = new ClipRecording(options(), run(1, 950, 3)); // 950, 1050, 1150
    const wanted = run(4, 1250, 8).map((f) => recording.push(f)); // 1250 .. 1950
    assert.ok(wanted.every(Boolean));
    assert.equal(recording.push(frame(12, 2000)), true, 'a frame exactly at the end still belongs');
    assert.equal(recording.push(frame(13, 2050)), false);
    assert.equal(recording.complete, true);
    assert.equal(recording.push(frame(14, 1990)), false, 'nothing is taken once complete');
    assert.deepEqual(times(recording).slice(-3), [1850, 1950, 2000]);
    assert.equal(recording.frames().length, 12);
  });

  test('extendTo() moves the end while the alarm lasts, never past from + maxMs and never backwards', () => {
    const recording = new ClipRecording(options({ maxMs: 3000 }));
    assert.deepEqual(recording.extendTo(2500), { from: 1000, to: 2500 });
    assert.deepEqual(recording.extendTo(2200), { from: 1000, to: 2500 });
    assert.deepEqual(recording.extendTo(9000), { from: 1000, to: 4000 });
    assert.equal(recording.push(frame(1, 3900)), true, 'a frame the old end would have refused now belongs');
    assert.equal(recording.push(frame(2, 4001)), false);
  });

  test('a window longer than the cap from the start is cut to it', () => {
    const recording = new ClipRecording(options({ window: { from: 1000, to: 9000 }, maxMs: 2000 }));
    assert.deepEqual(recording.window, { from: 1000, to: 3000 });
  });

  test('once complete, extendTo() changes nothing: the frames are final', () => {
    const recording = new ClipRecording(options());
    recording.push(frame(1, 2100));
    assert.deepEqual(recording.extendTo(3000), { from: 1000, to: 2000 });
  });

  test('finish() ends it with what it has (the camera stopped sending)', () => {
    const recording = new ClipRecording(options(), run(1, 1000, 3));
    recording.finish();
    assert.equal(recording.complete, true);
    assert.equal(recording.push(frame(4, 1300)), false);
    assert.deepEqual(times(recording), [1000, 1100, 1200]);
  });

  test('ring frames from past the end make it complete at once', () => {
    const recording = new ClipRecording(options(), run(1, 1800, 5)); // 1800 .. 2200
    assert.equal(recording.complete, true);
    assert.deepEqual(times(recording), [1800, 1900, 2000]);
  });

  test('ring frames given out of order still complete it only after the frames before the end', () => {
    const recording = new ClipRecording(options(), [frame(3, 2100), frame(1, 1900), frame(2, 2000)]);
    assert.deepEqual(times(recording), [1900, 2000]);
  });

  test('live frames out of order or twice are recorded once each, in capture order', () => {
    const recording = new ClipRecording(options());
    for (const f of [frame(2, 1100), frame(1, 1000), frame(2, 1100), frame(3, 1200)]) recording.push(f);
    assert.deepEqual(recording.frames().map((f) => f.seq), [1, 2, 3]);
  });

  test('a newer frame from before the window replaces the opening one', () => {
    const recording = new ClipRecording(options(), [frame(1, 800), frame(3, 1100)]);
    recording.push(frame(2, 900));
    assert.deepEqual(times(recording), [900, 1100]);
    assert.equal(recording.stats.bytes, 200);
  });

  test('maxFrames keeps the beginning and counts the frames left out', () => {
    const recording = new ClipRecording(options({ maxFrames: 4 }));
    for (const f of run(1, 1000, 10)) assert.equal(recording.push(f), true, 'still recording: the end has not come');
    assert.deepEqual(times(recording), [1000, 1100, 1200, 1300]);
    assert.equal(recording.stats.omitted, 6);
  });

  test('maxBytes bounds memory the same way', () => {
    const recording = new ClipRecording(options({ maxBytes: 1000 }));
    for (const f of run(1, 1000, 10, 300)) recording.push(f);
    assert.deepEqual(recording.stats, { frames: 3, bytes: 900, omitted: 7 });
  });

  test('refuses an empty window or limits that are not positive, naming the clip and camera', () => {
    assert.throws(() => new ClipRecording(options({ window: { from: 2000, to: 1000 } })), /clip 0lq5k3z8w0a1b2c3d4e \(camera gate\): window/);
    assert.throws(() => new ClipRecording(options({ maxMs: 0 })), /camera gate/);
    assert.throws(() => new ClipRecording(options({ maxFrames: 0 })), /maxFrames/);
  });

  test('onKeep hears each live frame it keeps, not its opening frames, nor frames it leaves out or repeats', () => {
    const kept: number[] = [];
    const recording = new ClipRecording(options({ maxFrames: 4, onKeep: (f) => kept.push(f.seq) }), run(1, 950, 3)); // 950 (the lead), 1050, 1150
    recording.push(frame(3, 1150)); // again
    recording.push(frame(4, 1250));
    recording.push(frame(5, 1350));
    recording.push(frame(6, 1450)); // past maxFrames: left out
    recording.push(frame(7, 2100)); // past the end
    assert.deepEqual(kept, [4, 5]);
  });
});
