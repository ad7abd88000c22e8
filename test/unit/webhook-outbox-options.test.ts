import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WebhookDeadLetters } from '@vigil/redis';
import { DEFAULT_RETRY_SCHEDULE_MS, resolveOutboxOptions } from '../../libs/alarms/src/webhooks';

// the options are only resolved here, nothing is written: no dead letters' repository is needed
const base = { redisUrl: 'redis://127.0.0.1:6379', endpoints: [], deadLetters: {} as WebhookDeadLetters };

describe('resolveOutboxOptions', () => {
  test('fills every default in one place; an explicit undefined does not erase a default', () => {
    const options = resolveOutboxOptions({ ...base, concurrency: undefined, lockDurationMs: 5000 });
    assert.equal(options.retrySchedule, DEFAULT_RETRY_SCHEDULE_MS);
    assert.equal(options.retryJitter, 0.1);
    assert.equal(options.requestTimeoutMs, 10_000);
    assert.equal(options.concurrency, 8);
    assert.equal(options.lockDurationMs, 5000);
    assert.equal(options.stalledIntervalMs, 30_000);
    assert.equal(options.maxStalledCount, 2);
    assert.equal(options.keepDeliveredSeconds, 7 * 24 * 3600);
    assert.equal(options.maxDeadLetters, 10_000);
    assert.equal(options.userAgent, 'vigil');
  });

  test('values that cannot work are refused, naming the option', () => {
    assert.throws(() => resolveOutboxOptions({ ...base, redisUrl: 'http://127.0.0.1:6379' }), /redisUrl must start with redis:\/\//);
    assert.throws(() => resolveOutboxOptions({ ...base, concurrency: 0 }), /concurrency must be a positive integer, got 0/);
    assert.throws(() => resolveOutboxOptions({ ...base, requestTimeoutMs: 1.5 }), /requestTimeoutMs/);
    assert.throws(() => resolveOutboxOptions({ ...base, retryJitter: 1 }), /retryJitter must be in \[0, 1\)/);
    assert.throws(() => resolveOutboxOptions({ ...base, maxStalledCount: -1 }), /maxStalledCount/);
    assert.throws(() => resolveOutboxOptions({ ...base, retrySchedule: [] }), /at least one try/);
  });
});
