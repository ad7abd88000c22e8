import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArrivalRate } from '../../apps/egress/src/push/arrival-rate';
import { DropOldestQueue } from '../../apps/egress/src/push/drop-oldest-queue';

describe('DropOldestQueue', () => {
  test('a full queue drops the oldest, returns it and counts it (ffmpeg behind: the newest frames go out)', () => {
    const queue = new DropOldestQueue<number>(3);
    for (const item of [1, 2, 3]) assert.equal(queue.push(item), undefined);
    assert.equal(queue.push(4), 1);
    assert.equal(queue.push(5), 2);
    assert.equal(queue.size, 3);
    assert.equal(queue.dropped, 2);
    assert.deepEqual([queue.shift(), queue.shift(), queue.shift(), queue.shift()], [3, 4, 5, undefined]);
  });

  test('clear empties it but keeps the drop count', () => {
    const queue = new DropOldestQueue<number>(1);
    queue.push(1);
    queue.push(2);
    queue.clear();
    assert.equal(queue.size, 0);
    assert.equal(queue.dropped, 1);
  });

  test('a capacity below one is refused', () => {
    assert.throws(() => new DropOldestQueue(0), RangeError);
  });
});

describe('ArrivalRate', () => {
  test('the median interval of the capture times, so one late frame does not move it', () => {
    const rate = new ArrivalRate();
    for (const ts of [0, 100, 200, 700, 800, 900, 1000]) rate.record(ts);
    assert.equal(rate.fps(30), 10);
  });

  test('capped, and at least 1; the cap until enough frames came', () => {
    const fast = new ArrivalRate();
    for (let i = 0; i < 10; i++) fast.record(i * 10);
    assert.equal(fast.fps(30), 30);
    const slow = new ArrivalRate();
    for (let i = 0; i < 10; i++) slow.record(i * 5000);
    assert.equal(slow.fps(30), 1);
    const early = new ArrivalRate();
    early.record(0);
    early.record(100);
    assert.equal(early.ready, false);
    assert.equal(early.fps(25), 25);
  });

  test('out-of-order or repeated times are ignored; reset starts over', () => {
    const rate = new ArrivalRate();
    for (const ts of [0, 200, 100, 200, 400, 600]) rate.record(ts);
    assert.equal(rate.fps(30), 5);
    rate.reset();
    assert.equal(rate.ready, false);
  });
});
