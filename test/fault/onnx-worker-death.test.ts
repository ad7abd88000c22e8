/**
 * Fault 4: the ONNX worker thread dies. The model as the inference service loads it (ModelRuntime, a real
 * onnxruntime-node session in its worker thread) and inference's batch stages: the batch in flight fails and is
 * counted, readiness reports the model degraded until a new thread has it loaded, and later batches get detections.
 * The thread is made to die by the worker's own test hook (it throws on its next run), which nothing outside the
 * process can reach.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '@vigil/config';
import type { DetectionsEvent } from '@vigil/contracts';
import { InferenceMetrics } from '../../apps/inference/src/inference-metrics';
import { ModelRuntime, type LoadedModel } from '../../apps/inference/src/model/model-runtime';
import { MetricsService } from '../../libs/metrics/src/metrics.service';
import { Readiness } from '../../libs/platform/src/readiness';
import { inferenceFrame, testJpeg, testStages } from '../support/detection-stages';
import { reportFault } from '../support/fault-report';
import { writeTestModels } from '../support/onnx-models';
import { waitFor } from '../support/wait';

describe('fault: the ONNX worker thread dies', { timeout: 120_000 }, () => {
  let dir: string;
  let jpeg: Buffer;
  let runtime: ModelRuntime;
  let model: LoadedModel;
  const metrics = new MetricsService();
  const readiness = new Readiness();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-fault-onnx-'));
    jpeg = await testJpeg(dir);
    const models = await writeTestModels(dir);
    runtime = new ModelRuntime(loadConfig({ MODEL_PATH: models.v8, MODEL_PROVIDER: 'cpu' }), new InferenceMetrics(metrics), readiness);
    model = (await runtime.load())!;
  });

  after(async () => {
    await runtime?.onApplicationShutdown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const counted = async (name: string): Promise<number> => {
    const line = (await metrics.text()).split('\n').find((entry) => entry.startsWith(`${name}{model="v8"}`));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  test('the batch in flight fails and is counted, readiness says model until the worker is back, later batches get detections', async () => {
    const events: DetectionsEvent[] = [];
    const stages = testStages(model, { cameras: ['gate', 'yard'], motion: ['yard'], metrics: new InferenceMetrics(metrics), outputs: { detections: (event: DetectionsEvent) => events.push(event) } });
    let seq = 0;
    const batch = async (): Promise<void> => {
      const taken = ['gate', 'yard'].map((camera) => ({ camera, frame: inferenceFrame(camera, seq++, jpeg) }));
      await stages.finish(await stages.run(await stages.prepare(taken)));
    };
    await batch();
    assert.deepEqual(events.map((event) => [event.camera, event.detector]), [['gate', 'v8'], ['yard', 'motion']], 'before the fault');
    assert.deepEqual(readiness.degraded(), []);

    model.worker.crashOnNextRun();
    events.length = 0;
    await batch();
    const died = Date.now();
    assert.deepEqual(events.map((event) => event.camera), ['yard'], "the model's frame of the batch in flight got no detections; the motion camera's did");
    assert.equal(await counted('vigil_inference_failed_batches_total'), 1, 'the failed batch is counted');
    assert.equal(await counted('vigil_inference_worker_restarts_total'), 1, 'the death is counted');
    assert.deepEqual(readiness.degraded(), ['model'], 'degraded while the worker restarts');

    // a batch taken while it restarts fails at once (it does not wait for a thread that is not there) and is counted
    await batch();
    const lostWhileDown = (await counted('vigil_inference_failed_batches_total')) - 1;

    await waitFor('the model worker to be back', () => readiness.degraded().length === 0, 60_000, 20);
    const recoveryMs = Date.now() - died;
    assert.equal(model.worker.state, 'up');
    events.length = 0;
    await batch();
    const gate = events.find((event) => event.camera === 'gate');
    assert.equal(gate?.detector, 'v8', 'the restarted worker runs the model');
    assert.ok(gate.detections.length > 0, 'and finds what it found before the fault');
    reportFault({
      fault: 'ONNX worker thread died (uncaught error in the thread)',
      recoveryMs,
      lost: { frames: 1 + lostWhileDown },
      note: 'the batch in flight and any taken while the thread restarted got no detections, counted in vigil_inference_failed_batches_total',
    });
  });
});
