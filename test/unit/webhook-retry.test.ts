import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  classifyResponse,
  DEFAULT_RETRY_SCHEDULE_MS,
  deliveryJobId,
  deliveryState,
  retryDelay,
  validateRetrySchedule,
  webhookMessageId,
} from '../../libs/alarms/src/webhooks';

const middle = (): number => 0.5; // no jitter either way

describe('retry schedule', () => {
  test('the default follows Standard Webhooks: now, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h', () => {
    assert.deepEqual(
      DEFAULT_RETRY_SCHEDULE_MS.map((_, i) => retryDelay(i, DEFAULT_RETRY_SCHEDULE_MS, 0.1, middle) / 1000),
      [0, 5, 300, 1800, 7200, 18_000, 36_000, 36_000],
    );
  });

  test('jitter stays within ±jitter of the scheduled delay and is whole milliseconds', () => {
    const jitter = 0.1;
    DEFAULT_RETRY_SCHEDULE_MS.forEach((base, tryIndex) => {
      for (let r = 0; r < 1; r += 0.05) {
        const delay = retryDelay(tryIndex, DEFAULT_RETRY_SCHEDULE_MS, jitter, () => r);
        assert.ok(Number.isInteger(delay), `${delay} is not whole milliseconds`);
        assert.ok(delay >= Math.floor(base * (1 - jitter)) && delay <= Math.ceil(base * (1 + jitter)), `try ${tryIndex}, random ${r}: ${delay} outside ±10 % of ${base}`);
      }
    });
    assert.equal(retryDelay(1, DEFAULT_RETRY_SCHEDULE_MS, jitter, () => 0), 4500);
    assert.equal(retryDelay(1, DEFAULT_RETRY_SCHEDULE_MS, jitter, () => 0.999_999), 5500);
  });

  test('jitter actually spreads the delays (a batch that failed together does not retry together)', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelay(2, DEFAULT_RETRY_SCHEDULE_MS)));
    assert.ok(delays.size > 1);
  });

  test('beyond the schedule the last delay repeats instead of NaN', () => {
    assert.equal(retryDelay(50, [0, 100, 200], 0, middle), 200);
    assert.equal(retryDelay(-1, [0, 100, 200], 0, middle), 0);
  });

  test('an empty or negative schedule is refused with the index', () => {
    assert.throws(() => validateRetrySchedule([]), /at least one try/);
    assert.throws(() => validateRetrySchedule([0, 10, -5]), /schedule\[2\] must be a delay >= 0/);
    assert.throws(() => validateRetrySchedule([0, Number.POSITIVE_INFINITY]), /schedule\[1\]/);
    assert.doesNotThrow(() => validateRetrySchedule(DEFAULT_RETRY_SCHEDULE_MS));
  });
});

describe('delivery ids', () => {
  const start = { type: 'alarm.start' as const, data: { id: '0lq9x7k2a3f9c0b1d2e' } };

  test('the message id depends only on alarm and event type, so a replayed event gets the same id', () => {
    assert.equal(webhookMessageId(start), 'msg_0lq9x7k2a3f9c0b1d2e_alarm_start');
    assert.equal(webhookMessageId({ ...start, data: { ...start.data } }), webhookMessageId(start));
    assert.notEqual(webhookMessageId({ ...start, type: 'alarm.end' }), webhookMessageId(start));
  });

  test('the message id has no "." (it is a field of the signed id.timestamp.body)', () => {
    assert.ok(!webhookMessageId(start).includes('.'));
  });

  test('job ids are per message and endpoint, deterministic, and free of ":" (BullMQ refuses it)', () => {
    const id = deliveryJobId(webhookMessageId(start), 'ops');
    assert.equal(id, 'msg_0lq9x7k2a3f9c0b1d2e_alarm_start__ops');
    assert.equal(deliveryJobId(webhookMessageId(start), 'ops'), id);
    assert.notEqual(deliveryJobId(webhookMessageId(start), 'env'), id);
    assert.ok(!id.includes(':'));
  });
});

describe('response handling and state', () => {
  test('2xx delivers, 410 stops, everything else (redirects too) retries', () => {
    assert.deepEqual([200, 201, 204, 299].map(classifyResponse), ['delivered', 'delivered', 'delivered', 'delivered']);
    assert.equal(classifyResponse(410), 'gone');
    assert.deepEqual([199, 301, 302, 400, 404, 429, 500, 502, 503].map(classifyResponse), Array(9).fill('retry'));
  });

  test('queue states map to pending, retrying, delivered and dead', () => {
    assert.equal(deliveryState('waiting', 0), 'pending');
    assert.equal(deliveryState('active', 0), 'pending');
    assert.equal(deliveryState('delayed', 0), 'pending');
    assert.equal(deliveryState('delayed', 1), 'retrying');
    assert.equal(deliveryState('active', 2), 'retrying');
    assert.equal(deliveryState('completed', 3), 'delivered');
    assert.equal(deliveryState('failed', 8), 'dead');
  });
});
