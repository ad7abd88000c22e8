/**
 * The buffer that keeps violations while Redis is away (fault 1: they used to be lost). Fake target: an array that
 * refuses writes while `down`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OrderedRetryBuffer, type OrderedRetryBufferOptions } from '../../libs/redis/src/ordered-retry-buffer';

function target(options: Partial<OrderedRetryBufferOptions<number>> = {}) {
  const state = { down: false, written: [] as number[], batches: [] as number[][], dropped: [] as number[], errors: 0, recovered: [] as number[], partial: 0 };
  const buffer = new OrderedRetryBuffer<number>({
    max: 100,
    batch: 10,
    retryMs: 5,
    write: async (items) => {
      await new Promise((resolve) => setImmediate(resolve));
      if (state.down) throw new Error('Connection is closed');
      state.batches.push([...items]);
      // `partial`: the next write lands only its first item, as a connection lost mid-pipeline would
      const count = state.partial > 0 ? (state.partial--, 1) : items.length;
      state.written.push(...items.slice(0, count));
      return count;
    },
    onDrop: (item) => state.dropped.push(item),
    onError: () => (state.errors += 1),
    onRecovered: (replayed) => state.recovered.push(replayed),
    ...options,
  });
  return { buffer, state };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('ordered retry buffer', () => {
  test('writes at once while the target is up, in order, items pushed during a write in the next batch', async () => {
    const { buffer, state } = target();
    for (const n of range(1, 25)) buffer.push(n);
    await buffer.empty();
    assert.deepEqual(state.written, range(1, 25));
    assert.deepEqual(state.batches[0], [1], 'the first went out alone, at once');
    assert.ok(state.batches.every((batch) => batch.length <= 10), 'batches are bounded');
    buffer.push(26); // after the buffer went idle: not stranded until another push
    await buffer.empty();
    assert.deepEqual(state.written, range(1, 26));
    assert.equal(state.errors, 0);
  });

  test('while the target is down items wait; when it is back they are written in order, before newer ones', async () => {
    const { buffer, state } = target();
    state.down = true;
    for (const n of range(1, 30)) buffer.push(n);
    await new Promise((resolve) => setTimeout(resolve, 30)); // several failed tries
    assert.equal(state.errors, 1, 'an outage is reported once');
    assert.equal(buffer.size, 30);
    state.down = false;
    buffer.push(31);
    await buffer.empty();
    assert.deepEqual(state.written, range(1, 31));
    assert.deepEqual(state.dropped, []);
    assert.deepEqual(state.recovered, [31]);
  });

  test('bounded: past `max` the oldest waiting items are dropped and reported, never one in flight', async () => {
    const { buffer, state } = target({ max: 5 });
    state.down = true;
    for (const n of range(1, 8)) buffer.push(n);
    assert.ok(buffer.size <= 5, `size ${buffer.size}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    state.down = false;
    await buffer.empty();
    // 1 was being written when the others came (its write might have landed), so the next oldest went
    assert.deepEqual(state.dropped, [2, 3, 4]);
    assert.deepEqual(state.written, [1, 5, 6, 7, 8]);
  });

  test('a partly written batch: the rest is tried again first, nothing written twice', async () => {
    const { buffer, state } = target();
    state.partial = 1;
    for (const n of range(1, 5)) buffer.push(n);
    await buffer.empty();
    assert.deepEqual(state.written, range(1, 5));
  });

  test('close: what waits is tried for the grace time, then dropped and counted', async () => {
    const { buffer, state } = target();
    state.down = true;
    for (const n of range(1, 4)) buffer.push(n);
    assert.equal(await buffer.close(30), 4);
    assert.deepEqual(state.dropped, range(1, 4));
    buffer.push(5);
    assert.deepEqual(state.dropped, range(1, 5), 'nothing is taken after close');
    assert.deepEqual(state.written, []);
  });

  test('close while the target is up writes what waits', async () => {
    const { buffer, state } = target();
    for (const n of range(1, 4)) buffer.push(n);
    assert.equal(await buffer.close(5000), 0);
    assert.deepEqual(state.written, range(1, 4));
  });
});
