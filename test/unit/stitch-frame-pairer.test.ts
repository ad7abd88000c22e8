/**
 * FramePairer: the two inputs of a panorama paired by capture time. Guards against: a panorama made of halves taken
 * far apart in time (a moving object cut in two), time running backwards between panorama frames, a frame kept
 * waiting for ever for a partner that cannot come, waiting frames growing without bound, and missed frames that
 * nobody counts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FramePairer, type Side } from '../../apps/stitch/src/pairing/frame-pairer';

interface F {
  ts: number;
  name: string;
}

const frame = (name: string, ts: number): F => ({ name, ts });

/** Offers frames in the order given; returns the pairs made, as `left+right`. */
function run(pairer: FramePairer<F>, offers: [Side, number][]): string[] {
  const made: string[] = [];
  for (const [side, ts] of offers) {
    const pair = pairer.offer(side, frame(`${side === 0 ? 'L' : 'R'}${ts}`, ts));
    if (pair) made.push(`${pair.frames[0].name}+${pair.frames[1].name}@${pair.ts}`);
  }
  return made;
}

describe('FramePairer', () => {
  test('two cameras at the same rate, offset by 15 ms: every frame pairs, at once, with the older capture time as the pair time', () => {
    const pairer = new FramePairer<F>({ toleranceMs: 20 });
    const offers: [Side, number][] = [];
    for (let i = 0; i < 5; i++) offers.push([0, 1000 + i * 40], [1, 1015 + i * 40]);
    assert.deepEqual(run(pairer, offers), ['L1000+R1015@1000', 'L1040+R1055@1040', 'L1080+R1095@1080', 'L1120+R1135@1120', 'L1160+R1175@1160']);
    assert.equal(pairer.pairs, 5);
    assert.deepEqual(pairer.missed, [0, 0]);
    assert.deepEqual(pairer.waitingCounts, [0, 0]);
  });

  test('the partner closest in time wins, and the frames it passes over are missed', () => {
    const pairer = new FramePairer<F>({ toleranceMs: 50 });
    // the right input is ahead: three of its frames wait when the left one's comes
    assert.deepEqual(run(pairer, [[1, 100], [1, 130], [1, 160], [0, 135]]), ['L135+R130@130']);
    // 100 was older than the pair: a pair made of it would go back in time; 160 may still pair with a later left frame
    assert.deepEqual(pairer.missed, [0, 1]);
    assert.deepEqual(pairer.waitingCounts, [0, 1]);
    assert.deepEqual(run(pairer, [[0, 170]]), ['L170+R160@160']);
  });

  test('frames further apart than the tolerance never pair, and each is counted as missed for its own input', () => {
    const pairer = new FramePairer<F>({ toleranceMs: 10 });
    // the inputs' clocks are 25 ms apart: nothing pairs
    const offers: [Side, number][] = [];
    for (let i = 0; i < 10; i++) offers.push([0, 1000 + i * 100], [1, 1025 + i * 100]);
    assert.deepEqual(run(pairer, offers), []);
    // every frame but the newest of each input (which may still find a partner) was given up
    const [left, right] = pairer.missed;
    assert.equal(left + right + pairer.waitingCounts[0] + pairer.waitingCounts[1], 20);
    assert.ok(left >= 9 && right >= 9, `missed ${left} and ${right}`);
    assert.equal(pairer.pairs, 0);
  });

  test('a frame the other input has already passed by more than the tolerance is missed at once, not kept waiting', () => {
    const pairer = new FramePairer<F>({ toleranceMs: 20 });
    run(pairer, [[1, 500]]);
    // the left input lags 400 ms: no right frame can come for it any more (each input sends in order)
    assert.deepEqual(run(pairer, [[0, 100]]), []);
    assert.deepEqual(pairer.missed, [1, 0]);
    assert.deepEqual(pairer.waitingCounts, [0, 1]);
  });

  test('a waiting frame is given up as soon as the other input sends past it', () => {
    const pairer = new FramePairer<F>({ toleranceMs: 20 });
    run(pairer, [[0, 100]]);
    assert.deepEqual(pairer.waitingCounts, [1, 0]);
    run(pairer, [[1, 200]]);
    assert.deepEqual(pairer.missed, [1, 0]);
    assert.deepEqual(pairer.waitingCounts, [0, 1]);
  });

  test('bounded: an input whose partner sends nothing keeps at most maxWaiting frames, the oldest given up and counted', () => {
    const pairer = new FramePairer<F>({ toleranceMs: 20, maxWaiting: 3 });
    for (let i = 0; i < 100; i++) pairer.offer(0, frame(`L${i}`, 1000 + i * 40));
    assert.deepEqual(pairer.waitingCounts, [3, 0]);
    assert.deepEqual(pairer.missed, [97, 0]);
  });

  test('latest wins: when a pair is made, older frames still waiting on its own side are given up too', () => {
    const pairer = new FramePairer<F>({ toleranceMs: 30 });
    // left 100 and 140 wait (nothing on the right yet), then right 135 comes: 140 is closest
    assert.deepEqual(run(pairer, [[0, 100], [0, 140], [1, 135]]), ['L140+R135@135']);
    assert.deepEqual(pairer.missed, [1, 0]);
    assert.deepEqual(pairer.waitingCounts, [0, 0]);
  });

  test('a frame out of order, repeated, or with a capture time that is not a number is missed', () => {
    const pairer = new FramePairer<F>({ toleranceMs: 20 });
    run(pairer, [[0, 1000]]);
    assert.deepEqual(run(pairer, [[0, 990], [0, 1000]]), []);
    assert.equal(pairer.offer(1, frame('nan', Number.NaN)), undefined);
    assert.equal(pairer.offer(1, frame('inf', Number.POSITIVE_INFINITY)), undefined);
    assert.deepEqual(pairer.missed, [2, 2]);
    assert.deepEqual(run(pairer, [[1, 1005]]), ['L1000+R1005@1000']);
  });

  test('clear() forgets waiting frames without counting them, and accepts capture times from the start again', () => {
    const pairer = new FramePairer<F>({ toleranceMs: 20 });
    run(pairer, [[0, 1000], [0, 1040]]);
    assert.deepEqual(pairer.waitingCounts, [2, 0]);
    pairer.clear();
    assert.deepEqual(pairer.waitingCounts, [0, 0]);
    assert.deepEqual(run(pairer, [[0, 500], [1, 510]]), ['L500+R510@500']);
    assert.deepEqual(pairer.missed, [0, 0]);
  });

  test('refuses a tolerance that is not a number', () => {
    assert.throws(() => new FramePairer<F>({ toleranceMs: Number.NaN }), RangeError);
    assert.throws(() => new FramePairer<F>({ toleranceMs: 10, maxWaiting: 0 }), RangeError);
  });
});
