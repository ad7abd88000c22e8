/**
 * Inference's batch stages through the real OpenCV addon and onnxruntime-node (a generated model): the model input is
 * decoded at a reduced size unless someone watches the annotated stream, and annotated frames are made only then;
 * otherwise a camera publishes its raw frame once per probe interval to find out whether anyone started watching.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { modelConfigSchema, type DetectionsEvent, type Frame } from '@vigil/contracts';
import type { DetectionStages } from '../../apps/inference/src/detection-stages';
import type { LoadedModel } from '../../apps/inference/src/model/model-runtime';
import { OnnxWorker } from '../../libs/detect/src/onnx/onnx-worker';
import { detectLayout } from '../../libs/detect/src/yolo/layout';
import { YoloDetector } from '../../libs/detect/src/yolo/yolo-detector';
import { inferenceFrame, testJpeg, testStages } from '../support/detection-stages';
import { TEST_CLASSES, testModelSpecs, writeTestModels, type TestModelName } from '../support/onnx-models';

describe('inference batch stages', { timeout: 60_000 }, () => {
  let dir: string;
  let jpeg: Buffer;
  let model: LoadedModel;
  let now = 0;
  let viewers = 0;
  let seq = 0;
  let published: { seq: number; jpeg: Buffer }[] = [];
  let stages: DetectionStages;
  let models: Record<TestModelName, string>;
  const workers: OnnxWorker[] = [];

  const loadModel = async (name: 'v8' | 'v8FixedBatch4', batch: number): Promise<LoadedModel> => {
    const worker = await OnnxWorker.load(models[name], { provider: 'cpu' });
    workers.push(worker);
    const spec = testModelSpecs[name];
    const detector = new YoloDetector(detectLayout(worker.info.outputs[0]!.dims!, TEST_CLASSES.length), { classNames: TEST_CLASSES, minConfidence: () => 0, iou: 0.45 });
    return { name, config: modelConfigSchema.parse({ path: `${name}.onnx` }), worker, detector, classNames: TEST_CLASSES, input: { width: spec.size, height: spec.size }, batch };
  };
  /** Stages for one camera, `gate`, with `outputs` as the only way out. */
  const stagesFor = (loaded: LoadedModel, outputs: Partial<Record<'detections' | 'annotated' | 'violation', unknown>>): DetectionStages =>
    testStages(loaded, { cameras: ['gate'], outputs, now: () => now });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-inference-stages-'));
    jpeg = await testJpeg(dir);
    models = await writeTestModels(dir);
    model = await loadModel('v8', 2);
    stages = stagesFor(model, {
      detections: () => undefined,
      annotated: async (frame: Frame, annotated: Buffer) => {
        published.push({ seq: frame.seq, jpeg: annotated });
        return viewers;
      },
    });
  });

  after(async () => {
    for (const worker of workers) await worker.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** One frame of camera `gate` through all three stages; returns the size the model input was decoded at. */
  const oneFrame = async (): Promise<number[]> => {
    const frame = inferenceFrame('gate', seq++, jpeg);
    const prepared = await stages.prepare([{ camera: 'gate', frame }]);
    const size = prepared.model!.sizes[0]!;
    await stages.finish(await stages.run(prepared));
    await new Promise((resolve) => setImmediate(resolve));
    return [size.width, size.height];
  };

  test('with no one watching, the model input is decoded small and the only annotated frames are raw probes, one per interval', async () => {
    // the 64x64 test model: 1/8 of 1920x1080 still fills its letterbox
    assert.deepEqual(await oneFrame(), [240, 135]);
    assert.deepEqual(published.map((p) => [p.seq, p.jpeg === jpeg]), [[0, true]], 'the first frame probes, as it came');
    for (let i = 0; i < 5; i++) {
      now += 200;
      assert.deepEqual(await oneFrame(), [240, 135]);
    }
    assert.equal(published.length, 1, 'nothing published within the probe interval');
    now += 1500;
    await oneFrame();
    assert.deepEqual(published.map((p) => p.jpeg === jpeg), [true, true], 'the next probe');
  });

  test('once a probe reaches a viewer, every frame is annotated, from one full-size decode the model input shares', async () => {
    published = [];
    viewers = 1;
    now += 1500;
    await oneFrame();
    assert.equal(published.length, 1, 'the probe that found the viewer');
    for (let i = 0; i < 3; i++) assert.deepEqual(await oneFrame(), [1920, 1080], 'decoded once, at full size, for both');
    assert.equal(published.length, 4, 'an annotated frame for every frame');
    viewers = 0;
    await oneFrame();
    assert.deepEqual(await oneFrame(), [240, 135], 'the viewer left: back to the small decode');
    assert.equal(published.length, 5);
  });

  // the bug: a model exported with a fixed batch above 1 failed every batch the scheduler did not fill
  test('a model with a fixed batch of 4 runs partial batches padded, and finds what a dynamic model finds', async () => {
    const found = async (loaded: LoadedModel, frames: number): Promise<DetectionsEvent[]> => {
      const events: DetectionsEvent[] = [];
      const each = stagesFor(loaded, { detections: (event: DetectionsEvent) => events.push(event) });
      const taken = Array.from({ length: frames }, (_, i) => ({ camera: 'gate', frame: inferenceFrame('gate', i, jpeg) }));
      await each.finish(await each.run(await each.prepare(taken)));
      return events;
    };
    const fixed = await loadModel('v8FixedBatch4', 4);
    assert.equal(fixed.worker.info.batch, 4);
    const dynamic = await found(model, 1);
    assert.ok(dynamic[0]!.detections.length > 0, 'the test image gives the dynamic model something to find');
    for (const frames of [1, 3, 4]) {
      const events = await found(fixed, frames);
      assert.equal(events.length, frames, `one detections event per frame of a batch of ${frames}`);
      for (const event of events) assert.deepEqual(event.detections, dynamic[0]!.detections, `batch of ${frames}, frame ${event.seq}`);
    }
  });
});
