import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from '@vigil/kernel';

const options = { minMs: 500, maxMs: 30_000 };
const middle = () => 0.5; // factor 1: no jitter either way

describe('backoffDelay', () => {
  test('starts at the minimum and doubles per attempt', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, options, middle)),
      [500, 1000, 2000, 4000, 8000, 16_000],
    );
  });

  test('is capped at the maximum', () => {
    assert.equal(backoffDelay(6, options, middle), 30_000);
    assert.equal(backoffDelay(20, options, middle), 30_000);
  });

  test('stays finite and capped for huge attempt counts (no Infinity after days of retries)', () => {
    for (const attempt of [31, 1000, 1e6, Number.MAX_SAFE_INTEGER]) assert.equal(backoffDelay(attempt, options, middle), 30_000);
  });

  test('default jitter spreads the delay over ±20%', () => {
    assert.equal(backoffDelay(2, options, () => 0), 1600);
    assert.equal(backoffDelay(2, options, () => 0.999_999), 2400);
  });

  test('jitter stays within its bounds and never exceeds the maximum', () => {
    const jitter = 0.3;
    for (let attempt = 0; attempt < 12; attempt++) {
      const base = Math.min(options.maxMs, options.minMs * 2 ** attempt);
      for (let r = 0; r < 1; r += 0.05) {
        const delay = backoffDelay(attempt, { ...options, jitter }, () => r);
        assert.ok(Number.isInteger(delay), `${delay} is not whole milliseconds`);
        assert.ok(delay >= Math.round(base * (1 - jitter)), `attempt ${attempt}, random ${r}: ${delay} below bound`);
        assert.ok(delay <= Math.min(options.maxMs, Math.round(base * (1 + jitter))), `attempt ${attempt}, random ${r}: ${delay} above bound`);
      }
    }
  });

  test('different random draws give different delays, so cameras do not retry in lockstep', () => {
    assert.notEqual(backoffDelay(3, options, () => 0.1), backoffDelay(3, options, () => 0.9));
  });

  test('jitter 0 gives the exact delay whatever the random draw', () => {
    for (const r of [0, 0.3, 0.999]) assert.equal(backoffDelay(3, { ...options, jitter: 0 }, () => r), 4000);
  });

  test('uses Math.random by default and stays in bounds', () => {
    for (let i = 0; i < 50; i++) {
      const delay = backoffDelay(1, options);
      assert.ok(delay >= 800 && delay <= 1200, String(delay));
    }
  });
});
