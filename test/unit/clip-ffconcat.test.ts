import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildFfconcat, median, SINGLE_PICTURE_MS } from '../../libs/alarms/src/clips';

const entries = (...times: number[]) => times.map((ts, i) => ({ file: `${String(i).padStart(6, '0')}.jpg`, ts }));

describe('buildFfconcat', () => {
  test('each picture shows until the next was captured; the last for the median gap, and is listed again', () => {
    const plan = buildFfconcat(entries(1000, 1100, 1400, 1500));
    assert.deepEqual(plan.durationsMs, [100, 300, 100, 100]);
    assert.equal(plan.totalMs, 600, 'last - first + one typical gap');
    assert.equal(
      plan.text,
      [
        'ffconcat version 1.0',
        "file '000000.jpg'", 'option framerate 1000', 'duration 0.100',
        "file '000001.jpg'", 'option framerate 1000', 'duration 0.300',
        "file '000002.jpg'", 'option framerate 1000', 'duration 0.100',
        "file '000003.jpg'", 'option framerate 1000', 'duration 0.100',
        "file '000003.jpg'", 'option framerate 1000',
        '',
      ].join('\n'),
    );
  });

  test('a stall stays a stall: the median, not the mean, sets the last picture', () => {
    assert.equal(buildFfconcat(entries(0, 40, 80, 2080, 2120)).durationsMs.at(-1), 40);
  });

  test('a single picture shows for a default time', () => {
    const plan = buildFfconcat(entries(5000));
    assert.deepEqual(plan.durationsMs, [SINGLE_PICTURE_MS]);
    assert.equal(plan.totalMs, SINGLE_PICTURE_MS);
  });

  test('pictures captured at the same millisecond are spaced 1 ms apart, so none shares a timestamp', () => {
    assert.deepEqual(buildFfconcat(entries(1000, 1000, 1100)).durationsMs.slice(0, 2), [1, 100]);
  });

  test('fractional capture times are rounded to the millisecond', () => {
    assert.deepEqual(buildFfconcat(entries(0, 33.4, 66.8)).durationsMs.slice(0, 2), [33, 33]);
  });

  test('refuses an empty list and file names that could break out of the quotes', () => {
    assert.throws(() => buildFfconcat([]), /at least one picture/);
    assert.throws(() => buildFfconcat([{ file: "a'\nfile '/etc/passwd", ts: 0 }]), /unsafe file name/);
    assert.throws(() => buildFfconcat([{ file: '../x.jpg', ts: 0 }]), /unsafe file name/);
  });
});

describe('median', () => {
  test('odd and even counts, unsorted input', () => {
    assert.equal(median([300, 100, 200]), 200);
    assert.equal(median([100, 400, 100, 200]), 150);
  });
});
