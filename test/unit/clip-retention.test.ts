import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newAlarmId } from '@vigil/contracts';
import { alarmIdTime, planRetention, type StoredAlarm } from '../../libs/alarms/src/clips';

const DAY = 24 * 3600_000;
const NOW = 1_700_000_000_000;
const alarm = (id: string, daysAgo: number, bytes = 100): StoredAlarm => ({ id, time: NOW - daysAgo * DAY, bytes });

describe('planRetention', () => {
  const limits = { now: NOW, maxAgeMs: 7 * DAY, maxBytes: 1000 };

  test('deletes alarms older than maxAgeMs, oldest first, and keeps the rest', () => {
    const stored = [alarm('b', 8), alarm('c', 1), alarm('a', 30), alarm('d', 6.9)];
    assert.deepEqual(planRetention(stored, limits), ['a', 'b']);
  });

  test('then deletes the oldest until the rest fit in maxBytes', () => {
    const stored = [alarm('c', 3, 400), alarm('a', 5, 400), alarm('d', 1, 400), alarm('b', 4, 400)];
    assert.deepEqual(planRetention(stored, limits), ['a', 'b'], '1600 bytes; 800 remain');
  });

  test('both limits at once', () => {
    const stored = [alarm('old', 9, 10), alarm('x', 3, 600), alarm('y', 2, 600)];
    assert.deepEqual(planRetention(stored, limits), ['old', 'x']);
  });

  test('alarms in keep stay whatever their age, and still count towards the size', () => {
    const stored = [alarm('encoding', 30, 900), alarm('a', 2, 200), alarm('b', 1, 200)];
    assert.deepEqual(planRetention(stored, { ...limits, keep: new Set(['encoding']) }), ['a', 'b']);
  });

  // the bug this guards against: a disk smaller than maxBytes (or shared) filled up, and every later clip failed
  test('a disk below its free-space floor: the oldest go until freeBytes are freed, old ones counting too', () => {
    const stored = [alarm('c', 3, 100), alarm('a', 5, 100), alarm('d', 1, 100), alarm('b', 4, 100), alarm('old', 9, 50)];
    assert.deepEqual(planRetention(stored, { ...limits, freeBytes: 220 }), ['old', 'a', 'b']);
    assert.deepEqual(planRetention(stored, { ...limits, freeBytes: 0 }), ['old']);
    assert.deepEqual(planRetention(stored, { ...limits, freeBytes: 10_000, keep: new Set(['d']) }), ['old', 'a', 'b', 'c'], 'never what is kept');
  });

  test('nothing to delete when young and small enough, including exactly at the limits', () => {
    assert.deepEqual(planRetention([alarm('a', 7, 500), alarm('b', 0, 500)], limits), []);
    assert.deepEqual(planRetention([], limits), []);
  });
});

describe('alarmIdTime', () => {
  test('reads back the start time newAlarmId put in the id', () => {
    const id = newAlarmId(NOW + 123, Buffer.from('0123456789', 'hex'));
    assert.equal(alarmIdTime(id), NOW + 123);
  });
});
