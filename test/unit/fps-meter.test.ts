import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FpsMeter } from '@vigil/metrics';

/** Feeds one sample per second at `fps` from `from` ms for `seconds`, continuing the frame count. */
function feed(meter: FpsMeter, from: number, seconds: number, fps: number, frames: number): number {
  for (let s = 1; s <= seconds; s++) {
    frames += fps;
    meter.sample(from + s * 1000, frames);
  }
  return frames;
}

describe('FpsMeter', () => {
  test('reports 0 with no samples or a single sample', () => {
    const meter = new FpsMeter();
    assert.equal(meter.fps(), 0);
    meter.sample(1000, 30);
    assert.equal(meter.fps(), 0);
  });

  test('reports a steady rate', () => {
    const meter = new FpsMeter();
    meter.sample(0, 0);
    feed(meter, 0, 3, 30, 0);
    assert.equal(meter.fps(), 30);
  });

  test('rounds to one decimal', () => {
    const meter = new FpsMeter();
    meter.sample(0, 0);
    meter.sample(3000, 10);
    assert.equal(meter.fps(), 3.3);
  });

  test('forgets samples older than the window, so a rate change shows within one window', () => {
    const meter = new FpsMeter(5000);
    meter.sample(0, 0);
    const frames = feed(meter, 0, 10, 10, 0);
    assert.equal(meter.fps(), 10);
    feed(meter, 10_000, 5, 30, frames);
    assert.equal(meter.fps(), 30);
  });

  test('averages over the window while the old rate is still in it', () => {
    const meter = new FpsMeter(4000);
    meter.sample(0, 0);
    const frames = feed(meter, 0, 8, 10, 0);
    feed(meter, 8000, 2, 30, frames);
    // window 6000..10000: 2 s at 10 fps and 2 s at 30 fps
    assert.equal(meter.fps(), 20);
  });

  test('drops to 0 when frames stop for a whole window', () => {
    const meter = new FpsMeter(5000);
    meter.sample(0, 0);
    const frames = feed(meter, 0, 5, 25, 0);
    feed(meter, 5000, 6, 0, frames);
    assert.equal(meter.fps(), 0);
  });

  test('keeps the last two samples across a gap longer than the window instead of reporting nothing', () => {
    const meter = new FpsMeter(5000);
    meter.sample(0, 0);
    meter.sample(60_000, 600);
    assert.equal(meter.fps(), 10);
  });

  test('two samples at the same instant give 0, not Infinity or NaN', () => {
    const meter = new FpsMeter();
    meter.sample(1000, 0);
    meter.sample(1000, 30);
    assert.equal(meter.fps(), 0);
  });

  test('reset forgets everything', () => {
    const meter = new FpsMeter();
    meter.sample(0, 0);
    feed(meter, 0, 3, 30, 0);
    meter.reset();
    assert.equal(meter.fps(), 0);
    meter.sample(10_000, 90);
    assert.equal(meter.fps(), 0);
    meter.sample(11_000, 105);
    assert.equal(meter.fps(), 15);
  });
});
