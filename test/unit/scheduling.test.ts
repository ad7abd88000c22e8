import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { BatchScheduler, type BatchStages, type Taken } from '../../libs/detect/src/scheduling/batch-scheduler';
import { LatestFrameSlots } from '../../libs/detect/src/scheduling/latest-frame-slots';
import { StageEstimates } from '../../libs/detect/src/scheduling/stage-estimates';

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

  for (const pipeline of [false, true]) {
    test(`a slow detector skips frames, counts them, and never holds more than one frame per camera${pipeline ? ' (pipelined)' : ''}`, async () => {
      const slots = new LatestFrameSlots<Buffer>();
      let running = 0;
      let maxRunning = 0;
      let inferred = 0;
      const scheduler = new BatchScheduler(
        slots,
        { size: 4, waitMs: 1, pipeline },
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
  }

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

/** A promise the test settles, for a stage that must stay in flight while the test looks. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Stages that record what they see; each run waits until the test opens its gate. */
function recordingStages(options: { failPrepare?: string; failRun?: string } = {}) {
  const log = { prepared: [] as string[], ran: [] as string[], finished: [] as string[] };
  const runGates: ReturnType<typeof gate>[] = [];
  let running = 0;
  let maxRunning = 0;
  const name = (batch: Taken<number>[]) => batch.map((entry) => `${entry.camera}${entry.frame}`).join(',');
  const stages: BatchStages<number, string, string> = {
    async prepare(batch) {
      log.prepared.push(name(batch));
      if (options.failPrepare && name(batch).includes(options.failPrepare)) throw new Error(`cannot prepare ${name(batch)}`);
      return name(batch);
    },
    async run(prepared) {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      log.ran.push(prepared);
      const runGate = gate();
      runGates.push(runGate);
      await runGate.promise;
      running -= 1;
      if (options.failRun && prepared.includes(options.failRun)) throw new Error(`cannot run ${prepared}`);
      return prepared;
    },
    async finish(result) {
      log.finished.push(result);
    },
  };
  /** opens the gate of run `index` (0-based) and lets the stages after it go */
  const endRun = async (index: number): Promise<void> => {
    while (!runGates[index]) await tick();
    runGates[index]!.open();
    await tick();
  };
  return { stages, log, endRun, maxRunning: () => maxRunning };
}

describe('BatchScheduler, pipelined', () => {
  test('prepares the next batch while one runs; runs go one at a time and batches finish in the order they were taken', async () => {
    const slots = new LatestFrameSlots<number>();
    const { stages, log, endRun, maxRunning } = recordingStages();
    // a clock that never moves: no stage seems to take time, so nothing waits for the run's expected end
    const scheduler = new BatchScheduler(slots, { size: 1, waitMs: 1, pipeline: true, now: () => 0 }, stages, assert.fail);
    slots.put('a', 1);
    scheduler.notify();
    await tick();
    assert.deepEqual(log.ran, ['a1']);
    slots.put('b', 1);
    scheduler.notify();
    await tick();
    assert.deepEqual(log.prepared, ['a1', 'b1'], 'b was prepared while a runs');
    assert.deepEqual(log.ran, ['a1'], 'but it waits for the model');
    slots.put('c', 1);
    scheduler.notify();
    await tick();
    assert.deepEqual(log.prepared, ['a1', 'b1'], 'one batch prepared ahead, no more');
    assert.equal(slots.size, 1, 'c waits in its slot, where a newer frame could still replace it');
    await endRun(0);
    assert.deepEqual(log.ran, ['a1', 'b1']);
    assert.deepEqual(log.prepared, ['a1', 'b1', 'c1'], 'c is prepared once b runs');
    await endRun(1);
    await endRun(2);
    await scheduler.stop();
    assert.deepEqual(log.finished, ['a1', 'b1', 'c1']);
    assert.equal(maxRunning(), 1);
  });

  test('takes the next batch only when the run in flight is about to end, so frames that come during the run make it', async () => {
    const slots = new LatestFrameSlots<number>();
    const { stages, log, endRun } = recordingStages();
    let now = 0;
    // preparing a frame takes 5 ms and running one 100 ms, on the test's clock
    const timed: BatchStages<number, string, string> = {
      prepare: async (batch) => {
        const prepared = await stages.prepare(batch);
        now += 5;
        return prepared;
      },
      run: stages.run,
      finish: stages.finish,
    };
    const scheduler = new BatchScheduler(slots, { size: 1, waitMs: 1, pipeline: true, now: () => now }, timed, assert.fail);
    slots.put('a', 1);
    scheduler.notify();
    await tick();
    now += 100;
    await endRun(0);
    assert.deepEqual(log.finished, ['a1'], 'both stages timed once');

    slots.put('a', 2);
    scheduler.notify();
    await tick();
    const runStart = now;
    assert.deepEqual(log.ran, ['a1', 'a2']);
    slots.put('b', 1);
    scheduler.notify();
    slots.put('b', 2);
    scheduler.notify();
    await tick();
    assert.deepEqual(log.prepared, ['a1', 'a2'], 'early in the run, b is left in its slot');
    assert.equal(slots.skippedFor('b'), 1, 'where its newer frame replaced the older');
    // the run is expected to end at +100; preparing b is expected to take 5 ms, started half again as early
    now = runStart + 100 - 1.5 * 5;
    slots.put('b', 3);
    scheduler.notify();
    await tick();
    assert.deepEqual(log.prepared, ['a1', 'a2', 'b3'], 'just before the run ends, b goes with its newest frame');
    assert.deepEqual(log.ran, ['a1', 'a2'], 'while a2 still runs');
    now += 100;
    await endRun(1);
    await endRun(2);
    await scheduler.stop();
    assert.deepEqual(log.finished, ['a1', 'a2', 'b3']);
  });

  test('stop() waits for the run in flight and for the batch prepared ahead of it, which runs too', async () => {
    const slots = new LatestFrameSlots<number>();
    const { stages, log, endRun } = recordingStages();
    const scheduler = new BatchScheduler(slots, { size: 1, waitMs: 1, pipeline: true, now: () => 0 }, stages, assert.fail);
    slots.put('a', 1);
    scheduler.notify();
    slots.put('b', 1);
    scheduler.notify();
    await tick();
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    slots.put('c', 1);
    scheduler.notify();
    await endRun(0);
    assert.equal(stopped, false, 'b, prepared ahead, still has to run');
    await endRun(1);
    await stopping;
    assert.deepEqual(log.finished, ['a1', 'b1']);
    assert.equal(slots.size, 1, 'nothing was taken after stop()');
  });

  test('a failed stage is reported, drops its batch, and the batches after it still run in order', async () => {
    const slots = new LatestFrameSlots<number>();
    const { stages, log, endRun } = recordingStages({ failPrepare: 'b', failRun: 'c' });
    const errors: string[] = [];
    const scheduler = new BatchScheduler(slots, { size: 1, waitMs: 1, pipeline: true, now: () => 0 }, stages, (error) => errors.push(error.message));
    for (const camera of ['a', 'b', 'c', 'd']) {
      slots.put(camera, 1);
      scheduler.notify();
    }
    await endRun(0);
    await endRun(1);
    await endRun(2);
    await scheduler.stop();
    assert.deepEqual(errors, ['cannot prepare b1', 'cannot run c1']);
    assert.deepEqual(log.ran, ['a1', 'c1', 'd1']);
    assert.deepEqual(log.finished, ['a1', 'd1']);
  });
});

describe('StageEstimates', () => {
  test('knows nothing until both stages were timed, then leads the run end by half again the preparation', () => {
    const estimates = new StageEstimates(0.5, 1.5);
    assert.equal(estimates.prepareAt(1000, 4, 4), undefined);
    estimates.prepared(4, 20);
    assert.equal(estimates.prepareAt(1000, 4, 4), undefined);
    estimates.ran(4, 400);
    assert.equal(estimates.prepareAt(1000, 4, 4), 1000 + 400 - 1.5 * 20);
    assert.equal(estimates.prepareAt(1000, 2, 4), 1000 + 200 - 1.5 * 20, 'a partial batch runs shorter');
  });

  test('follows a changing stage as a moving average', () => {
    const estimates = new StageEstimates(0.5, 1);
    estimates.prepared(1, 0);
    estimates.ran(1, 100);
    estimates.ran(1, 200);
    assert.equal(estimates.prepareAt(0, 1, 1), 150);
    estimates.ran(1, Number.NaN);
    assert.equal(estimates.prepareAt(0, 1, 1), 150, 'a sample that is no duration is ignored');
  });
});
