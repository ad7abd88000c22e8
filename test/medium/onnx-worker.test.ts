/**
 * The ONNX worker thread through the real onnxruntime-node: a batch's input is transferred to the worker, not copied,
 * and comes back with the result, so the service fills the same buffer batch after batch; a thread that dies fails
 * its runs and is restarted.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { OnnxWorker, OnnxWorkerDownError, type OnnxWorkerEvents } from '../../libs/detect/src/onnx/onnx-worker';
import { TEST_CLASSES, testModelSpecs, writeAnchor, writeTestModels } from '../support/onnx-models';

describe('OnnxWorker', { timeout: 60_000 }, () => {
  let dir: string;
  let modelPath: string;
  let worker: OnnxWorker;
  const spec = testModelSpecs.v8;
  const image = 3 * spec.size * spec.size;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-onnx-worker-'));
    modelPath = (await writeTestModels(dir)).v8;
    worker = await OnnxWorker.load(modelPath, { provider: 'cpu' });
  });

  after(async () => {
    await worker?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The score the v8 output holds for `classId` at `anchor` of image 0. */
  const scoreAt = (data: Float32Array, classId: number, anchor: number): number => data[(4 + classId) * spec.anchors + anchor]!;

  test('runs a batch held in the front of a bigger buffer, and gives the whole buffer back, uncopied', async () => {
    // room for two images, as the service's pooled buffers have for a full batch; this batch holds one
    const buffer = new Float32Array(2 * image);
    writeAnchor(buffer, spec, 0, 3, { box: [8, 8, 24, 24], scores: TEST_CLASSES.map((_, c) => (c === 1 ? 0.8 : 0)) });
    const running = worker.run(buffer.subarray(0, image), 1, spec.size, spec.size);
    assert.equal(buffer.byteLength, 0, 'the buffer went to the worker (transferred, so it was not copied)');
    const result = await running;
    assert.deepEqual(result.dims, [1, 4 + TEST_CLASSES.length, spec.anchors], 'a batch of one');
    assert.ok(Math.abs(scoreAt(result.data, 1, 3) - 0.8) < 1e-6, 'the run saw what was written');
    assert.equal(result.input.length, 2 * image, 'the whole buffer came back');

    // the buffer that came back is filled again for the next batch
    result.input.fill(0);
    writeAnchor(result.input, spec, 0, 5, { box: [8, 8, 24, 24], scores: TEST_CLASSES.map((_, c) => (c === 2 ? 0.6 : 0)) });
    const again = await worker.run(result.input.subarray(0, image), 1, spec.size, spec.size);
    assert.ok(Math.abs(scoreAt(again.data, 2, 5) - 0.6) < 1e-6);
    assert.ok(scoreAt(again.data, 1, 3) < 1e-6, 'nothing left of the last batch');
  });

  test('a failed run rejects with the session\'s reason', async () => {
    await assert.rejects(worker.run(new Float32Array(image), 1, 32, 32), /input holds|needs|images/);
  });

  /** Events as promises: each `next(name)` resolves at the next such event. */
  const heard = (): { events: OnnxWorkerEvents; next: (name: 'died' | 'restarted') => Promise<unknown[]> } => {
    const waiting = { died: [] as ((args: unknown[]) => void)[], restarted: [] as ((args: unknown[]) => void)[] };
    const emit = (name: 'died' | 'restarted') => (...args: unknown[]) => waiting[name].splice(0).forEach((resolve) => resolve(args));
    return {
      events: { died: emit('died'), restarted: emit('restarted') },
      next: (name) => new Promise((resolve) => waiting[name].push(resolve)),
    };
  };

  // the bug: a thread that died left every later run waiting for an answer that never came
  test('a thread that dies fails the run in flight, refuses runs until it is back, and is restarted', async () => {
    const { events, next } = heard();
    const supervised = await OnnxWorker.load(modelPath, { provider: 'cpu' }, { events, backoff: { minMs: 300, maxMs: 300, jitter: 0 } });
    try {
      const input = new Float32Array(image);
      writeAnchor(input, spec, 0, 3, { box: [8, 8, 24, 24], scores: TEST_CLASSES.map((_, c) => (c === 1 ? 0.8 : 0)) });
      await supervised.run(input.slice(), 1, spec.size, spec.size);

      const died = next('died');
      supervised.crashOnNextRun();
      await assert.rejects(supervised.run(input.slice(), 1, spec.size, spec.size), OnnxWorkerDownError, 'the run in flight fails');
      const [reason, failedRuns] = await died;
      assert.match(String(reason), /crashed on purpose/, 'the thread\'s own error is the reason');
      assert.equal(failedRuns, 1);
      assert.equal(supervised.state, 'restarting');

      const refused = input.slice();
      await assert.rejects(supervised.run(refused, 1, spec.size, spec.size), /restarting/, 'a run while it restarts fails at once');
      assert.equal(refused.length, image, 'and the buffer stays the caller\'s');

      const [attempts] = await next('restarted');
      assert.equal(attempts, 1);
      assert.equal(supervised.state, 'up');
      const result = await supervised.run(input.slice(), 1, spec.size, spec.size);
      assert.ok(Math.abs(scoreAt(result.data, 1, 3) - 0.8) < 1e-6, 'the restarted thread runs the model');
    } finally {
      await supervised.close();
    }
    assert.equal(supervised.state, 'closed');
    await assert.rejects(supervised.run(new Float32Array(image), 1, spec.size, spec.size), /closed/);
  });
});
