/**
 * The ONNX worker thread through the real onnxruntime-node: a batch's input is transferred to the worker, not copied,
 * and comes back with the result, so the service fills the same buffer batch after batch.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { OnnxWorker } from '../../libs/detect/src/onnx/onnx-worker';
import { TEST_CLASSES, testModelSpecs, writeAnchor, writeTestModels } from '../support/onnx-models';

describe('OnnxWorker', { timeout: 60_000 }, () => {
  let dir: string;
  let worker: OnnxWorker;
  const spec = testModelSpecs.v8;
  const image = 3 * spec.size * spec.size;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-onnx-worker-'));
    worker = await OnnxWorker.load((await writeTestModels(dir)).v8, { provider: 'cpu' });
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
});
