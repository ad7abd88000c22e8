import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { BatchScheduler } from '../../libs/detect/src/scheduling/batch-scheduler';
import { LatestFrameSlots } from '../../libs/detect/src/scheduling/latest-frame-slots';

setFlagsFromString('--expose-gc');
const rawGc = runInNewContext('gc') as () => void;
/** Full collection; ArrayBuffer backing stores are freed on a later task, so give it one. */
async function gc(): Promise<void> {
  rawGc();
  await new Promise((resolve) => setTimeout(resolve, 20));
  rawGc();
}

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

describe('LatestFrameSlots', () => {
  test('a new frame overwrites the waiting one and counts it as skipped', () => {
    const slots = new LatestFrameSlots<number>();
    assert.equal(slots.put('a', 1), false);
    assert.equal(slots.put('a', 2), true);
    assert.equal(slots.put('a', 3), true);
    assert.equal(slots.skippedFor('a'), 2);
    assert.deepEqual(slots.take(10), [{ camera: 'a', frame: 3 }]);
    assert.equal(slots.put('a', 4), false, 'a taken slot is empty: nothing skipped');
  });

  test('take serves the longest-waiting camera first, so a busy camera cannot starve the others', () => {
    const slots = new LatestFrameSlots<number>();
    slots.put('a', 1);
    slots.put('b', 1);
    slots.put('c', 1);
    slots.put('a', 2); // a keeps its place: it has waited since its first frame
    assert.deepEqual(slots.take(2).map((entry) => entry.camera), ['a', 'b']);
    slots.put('a', 3);
    assert.deepEqual(slots.take(2).map((entry) => entry.camera), ['c', 'a']);
  });

  test('drop forgets a camera', () => {
    const slots = new LatestFrameSlots<number>();
    slots.put('a', 1);
    slots.put('a', 2);
    slots.drop('a');
    assert.equal(slots.size, 0);
    assert.equal(slots.skippedFor('a'), 0);
  });
});

describe('BatchScheduler', () => {
  test('runs a full batch at once and a partial one after the wait', async () => {
    const slots = new LatestFrameSlots<number>();
    const batches: string[][] = [];
    const scheduler = new BatchScheduler(slots, { size: 2, waitMs: 30 }, async (batch) => void batches.push(batch.map((entry) => entry.camera)), assert.fail);
    slots.put('a', 1);
    scheduler.notify();
    slots.put('b', 1);
    scheduler.notify();
    await tick();
    assert.deepEqual(batches, [['a', 'b']], 'full batch went without waiting');
    slots.put('c', 1);
    scheduler.notify();
    await tick(5);
    assert.equal(batches.length, 1, 'partial batch waits');
    await tick(60);
    assert.deepEqual(batches, [['a', 'b'], ['c']]);
    await scheduler.stop();
  });

  test('a slow detector skips frames, counts them, and never holds more than one frame per camera', async () => {
    const slots = new LatestFrameSlots<Buffer>();
    let running = 0;
    let maxRunning = 0;
    let inferred = 0;
    const scheduler = new BatchScheduler(
      slots,
      { size: 4, waitMs: 1 },
      async (batch) => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        inferred += batch.length;
        await tick(20); // a detector much slower than the cameras
        running -= 1;
      },
      assert.fail,
    );
    await gc();
    const before = process.memoryUsage();
    const cameras = ['a', 'b', 'c'];
    let puts = 0;
    // 3 cameras x 400 frames of 256 KiB: 300 MiB passes through; memory must not follow it
    for (let i = 0; i < 400; i += 1) {
      for (const camera of cameras) {
        slots.put(camera, Buffer.alloc(256 * 1024, i));
        puts += 1;
        scheduler.notify();
      }
      assert.ok(slots.size <= cameras.length);
      if (i % 20 === 0) await tick(1);
    }
    await scheduler.stop();
    await gc();
    const after = process.memoryUsage();
    const skipped = cameras.reduce((sum, camera) => sum + slots.skippedFor(camera), 0);
    assert.equal(maxRunning, 1, 'one batch at a time');
    assert.ok(skipped > puts / 2, `most frames skipped (${skipped} of ${puts})`);
    assert.equal(skipped + inferred + slots.size, puts, 'every frame is either inferred, skipped or still waiting');
    const grownMiB = (after.external + after.heapUsed - before.external - before.heapUsed) / 2 ** 20;
    assert.ok(grownMiB < 20, `memory stayed flat: grew ${grownMiB.toFixed(1)} MiB while 300 MiB passed`);
  });

  test('an error in a batch is reported and the scheduler goes on', async () => {
    const slots = new LatestFrameSlots<number>();
    const errors: string[] = [];
    let calls = 0;
    const scheduler = new BatchScheduler(
      slots,
      { size: 1, waitMs: 1 },
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('boom');
      },
      (error) => errors.push(error.message),
    );
    slots.put('a', 1);
    scheduler.notify();
    await tick(5);
    slots.put('a', 2);
    scheduler.notify();
    await tick(5);
    assert.deepEqual(errors, ['boom']);
    assert.equal(calls, 2);
    await scheduler.stop();
  });
});
