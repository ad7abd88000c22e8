import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TensorPool } from '../../libs/detect/src/vision/tensor-pool';

describe('TensorPool', () => {
  test('a buffer given back is the next one taken, so batches reuse their input memory', () => {
    const pool = new TensorPool(12);
    const first = pool.take();
    assert.equal(first.length, 12);
    pool.give(first);
    assert.equal(pool.take(), first);
    assert.notEqual(pool.take(), first, 'taken twice: a new one');
  });

  test('keeps at most maxFree buffers, and none of another size or detached', () => {
    const pool = new TensorPool(12, 2);
    const [a, b, c] = [pool.take(), pool.take(), pool.take()];
    pool.give(a);
    pool.give(b);
    pool.give(c);
    pool.give(a);
    const kept = [pool.take(), pool.take()];
    assert.deepEqual(new Set(kept), new Set([a, b]), 'the first two, each once');
    assert.ok(![a, b, c].includes(pool.take()), 'the third was left to the collector');
    pool.give(new Float32Array(8));
    const detached = pool.take();
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    pool.give(detached);
    assert.equal(pool.take().length, 12, 'neither a short nor a detached buffer was kept');
  });
});
