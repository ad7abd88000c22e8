import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Detection } from '@vigil/contracts';
import { OnnxSession } from '../../libs/detect/src/onnx/onnx-session';
import { readModelMetadata } from '../../libs/detect/src/onnx/model-metadata';
import { detectLayout } from '../../libs/detect/src/yolo/layout';
import { letterboxGeometry } from '../../libs/detect/src/yolo/letterbox';
import { YoloDetector, type BatchFrame } from '../../libs/detect/src/yolo/yolo-detector';
import {
  TEST_CLASSES,
  blankInput,
  testModelSpecs,
  vectorModel,
  writeAnchor,
  writeTestModels,
  type TestModelName,
  type YoloTestModelSpec,
} from '../support/onnx-models';

/** What a test puts in an image, in its source frame's pixels, and expects back normalised. */
interface Planted {
  anchor: number;
  classId: number;
  score: number;
  objectness?: number;
  /** x1, y1, x2, y2 in source-frame pixels */
  box: [number, number, number, number];
}

interface TestImage {
  width: number;
  height: number;
  planted: Planted[];
}

const SIZE = 64;
const MIN_CONFIDENCE = 0.25;
const IOU = 0.45;

/** Writes each image's planted boxes, letterboxed into the model's input, as the model's marker pixels. */
function inputFor(spec: YoloTestModelSpec, images: TestImage[]): { input: Float32Array; frames: BatchFrame[] } {
  const input = blankInput(spec, images.length);
  const frames = images.map((image, index) => {
    const geometry = letterboxGeometry(image.width, image.height, SIZE, SIZE);
    for (const planted of image.planted) {
      const { scale, padX, padY } = geometry;
      const [x1, y1, x2, y2] = planted.box;
      const scores = TEST_CLASSES.map((_, c) => (c === planted.classId ? planted.score : 0.01));
      writeAnchor(input, spec, index, planted.anchor, {
        box: [x1 * scale + padX, y1 * scale + padY, x2 * scale + padX, y2 * scale + padY],
        scores,
        objectness: planted.objectness,
      });
    }
    return { width: image.width, height: image.height, geometry };
  });
  return { input, frames };
}

interface Expected {
  label: string;
  classId: number;
  score: number;
  /** the planted box normalised to its frame */
  frameBox: number[];
}

/** Detections the planted boxes imply, best first: the score after float32 (times objectness), the box normalised. */
function expected(image: TestImage, keep: (planted: Planted) => boolean = () => true): Expected[] {
  const { width, height } = image;
  return image.planted
    .filter(keep)
    .map(({ classId, score, objectness, box }) => ({
      label: TEST_CLASSES[classId],
      classId,
      score: Math.fround(objectness === undefined ? Math.fround(score) : Math.fround(objectness) * Math.fround(score)),
      frameBox: [box[0] / width, box[1] / height, box[2] / width, box[3] / height],
    }))
    .sort((a, b) => b.score - a.score);
}

/** Exact labels, classes and scores; boxes to float32 precision of input pixels. */
function assertDetections(actual: Detection[], wanted: Expected[], what: string): void {
  assert.deepEqual(
    actual.map(({ label, classId, score }) => ({ label, classId, score })),
    wanted.map(({ label, classId, score }) => ({ label, classId, score })),
    what,
  );
  actual.forEach((detection, i) => {
    const frameBox = wanted[i].frameBox;
    detection.box.forEach((value, k) => assert.ok(Math.abs(value - frameBox[k]) < 1e-5, `${what}: box ${i}[${k}] is ${value}, expected ${frameBox[k]}`));
  });
}

/** 1280x720 landscape: letterboxed into 64x64 at scale 0.05 with 14 rows of padding above. */
const landscape: TestImage = {
  width: 1280,
  height: 720,
  planted: [
    { anchor: 0, classId: 0, score: 0.91, box: [200, 100, 600, 700] },
    { anchor: 3, classId: 1, score: 0.82, box: [320, 100, 440, 220] },
    { anchor: 5, classId: 0, score: 0.6, box: [220, 100, 620, 700] }, // the same person again: NMS removes it
    { anchor: 7, classId: 2, score: 0.47, box: [900, 300, 1260, 700] },
    { anchor: 9, classId: 1, score: 0.2, box: [20, 20, 60, 60] }, // below the minimum confidence
    { anchor: 11, classId: 2, score: 0.5, box: [200, 100, 600, 700] }, // the person's box in another class: NMS keeps it
  ],
};
const landscapeKept = (planted: Planted): boolean => planted.anchor !== 5 && planted.anchor !== 9;

/** 480x640 portrait: pillarboxed, 8 columns of padding on the left. */
const portrait: TestImage = {
  width: 480,
  height: 640,
  planted: [
    { anchor: 15, classId: 1, score: 0.75, box: [10, 10, 110, 90] },
    { anchor: 1, classId: 1, score: 0.74, box: [300, 10, 400, 90] },
  ],
};
const empty: TestImage = { width: 640, height: 480, planted: [] };

describe('YOLO models through onnxruntime-node (CPU)', () => {
  let dir: string;
  let paths: Record<TestModelName, string>;
  const sessions: OnnxSession[] = [];

  const load = async (name: TestModelName): Promise<OnnxSession> => {
    const session = await OnnxSession.load(paths[name], { provider: 'cpu' });
    sessions.push(session);
    return session;
  };

  async function detectWith(session: OnnxSession, spec: YoloTestModelSpec, images: TestImage[]): Promise<Detection[][]> {
    const names = session.classNames() ?? assert.fail('the model has no names metadata');
    const detector = new YoloDetector(detectLayout(session.outputs[0].dims ?? [], names.length), {
      classNames: names,
      minConfidence: () => MIN_CONFIDENCE,
      iou: IOU,
    });
    const { input, frames } = inputFor(spec, images);
    const output = await session.run(input, images.length, SIZE, SIZE);
    return detector.detect(output, frames);
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-onnx-'));
    paths = await writeTestModels(dir);
  });

  after(async () => {
    await Promise.all(sessions.map((session) => session.close()));
    await rm(dir, { recursive: true, force: true });
  });

  describe('YOLOv8 layout [batch, 4+C, N]', () => {
    test('reports its input, output, dynamic batch and class names from the metadata', async () => {
      const session = await load('v8');
      assert.equal(session.provider, 'cpu');
      assert.deepEqual(session.input, { name: 'images', type: 'float32', dims: ['batch', 3, 64, 64] });
      assert.deepEqual(session.outputs, [{ name: 'output0', type: 'float32', dims: ['batch', 7, 16] }]);
      assert.equal(session.batch, 'dynamic');
      assert.deepEqual(session.inputSize, { height: 64, width: 64 });
      assert.deepEqual(session.classNames(), ['person', 'helmet', "driver's cab"]);
      assert.deepEqual(detectLayout(session.outputs[0].dims ?? [], 3), { kind: 'v8', classes: 3, anchors: 16 });
    });

    test('unbatched: a non-square frame comes back with exactly the planted boxes, NMS and threshold applied', async () => {
      const session = await load('v8');
      const [detections] = await detectWith(session, testModelSpecs.v8, [landscape]);
      assertDetections(detections, expected(landscape, landscapeKept), 'landscape');
    });

    test('batched: three images with different content and sizes each get their own detections', async () => {
      const session = await load('v8');
      const images = [portrait, empty, landscape];
      const batched = await detectWith(session, testModelSpecs.v8, images);
      assert.equal(batched.length, 3);
      assertDetections(batched[0], expected(portrait), 'portrait');
      assert.deepEqual(batched[1], [], 'the empty image');
      assertDetections(batched[2], expected(landscape, landscapeKept), 'landscape');
      // and a batch gives each image what it gets alone
      for (const [index, image] of images.entries()) {
        assert.deepEqual((await detectWith(session, testModelSpecs.v8, [image]))[0], batched[index]);
      }
    });
  });

  describe('YOLOv5 layout [batch, N, 5+C]', () => {
    const withObjectness = (image: TestImage, objectness: number[]): TestImage => ({
      ...image,
      planted: image.planted.map((planted, i) => ({ ...planted, objectness: objectness[i] })),
    });
    // objectness 0.3 x 0.82 = 0.246 falls below 0.25: the helmet must go although its class score is high
    const landscapeV5 = withObjectness(landscape, [0.95, 0.3, 0.9, 0.8, 1, 0.9]);
    const portraitV5 = withObjectness(portrait, [0.9, 0.5]);

    test('is told from the v8 layout by its shape and reports the same names', async () => {
      const session = await load('v5');
      assert.deepEqual(session.outputs[0].dims, ['batch', 16, 8]);
      assert.deepEqual(detectLayout(session.outputs[0].dims ?? [], session.classNames()?.length), { kind: 'v5', classes: 3, anchors: 16 });
    });

    test('unbatched: scores are objectness times class score, boxes mapped back to the frame', async () => {
      const session = await load('v5');
      const [detections] = await detectWith(session, testModelSpecs.v5, [landscapeV5]);
      const wanted = expected(landscapeV5, (planted) => landscapeKept(planted) && planted.anchor !== 3);
      assert.deepEqual(
        wanted.map((d) => d.label),
        ['person', "driver's cab", "driver's cab"],
      );
      assertDetections(detections, wanted, 'landscape v5');
    });

    test('batched: three images, each with its own detections', async () => {
      const session = await load('v5');
      const batched = await detectWith(session, testModelSpecs.v5, [empty, landscapeV5, portraitV5]);
      assert.deepEqual(batched[0], []);
      assertDetections(batched[1], expected(landscapeV5, (planted) => landscapeKept(planted) && planted.anchor !== 3), 'landscape v5');
      assertDetections(batched[2], expected(portraitV5), 'portrait v5');
    });
  });

  describe('what the service checks at start', () => {
    test('a fixed-batch model reports its batch size and refuses a bigger batch', async () => {
      const session = await load('v8FixedBatch');
      assert.equal(session.batch, 1);
      assert.deepEqual(session.input.dims, [1, 3, 64, 64]);
      const [detections] = await detectWith(session, testModelSpecs.v8FixedBatch, [landscape]);
      assertDetections(detections, expected(landscape, landscapeKept), 'fixed batch');
      await assert.rejects(session.run(blankInput(testModelSpecs.v8FixedBatch, 2), 2, SIZE, SIZE), /takes a batch of 1, got 2/);
    });

    test('a model whose head does not fit its names is refused with both shapes in the message', async () => {
      const session = await load('v8WrongHead');
      assert.throws(
        () => detectLayout(session.outputs[0].dims ?? [], session.classNames()?.length),
        (error: Error) => {
          assert.equal(
            error.message,
            'model output [batch, 9, 16] is not a YOLO detection output (it has 5 classes as YOLOv8/11, the names list 3); ' +
              'expected YOLOv8/11 [batch, 7, anchors] or YOLOv5 [batch, anchors, 8] for 3 class names',
          );
          return true;
        },
      );
    });

    test('a missing model path is refused, naming the path', async () => {
      const path = join(dir, 'models', 'helmet.onnx');
      await assert.rejects(OnnxSession.load(path, { provider: 'cpu' }), (error: Error) => error.message === `ONNX model not found: ${path}`);
    });

    test('a file that is not an ONNX model is refused, naming the path', async () => {
      const path = join(dir, 'not-a-model.onnx');
      await writeFile(path, 'this is not protobuf');
      await assert.rejects(OnnxSession.load(path, { provider: 'cpu' }), (error: Error) => error.message.startsWith(`cannot load ONNX model ${path} with the CPU provider:`));
    });

    test('a model that does not take one float32 image batch is refused, saying what it takes', async () => {
      const path = join(dir, 'vector.onnx');
      await writeFile(path, vectorModel());
      await assert.rejects(
        OnnxSession.load(path, { provider: 'cpu' }),
        (error: Error) => error.message === `ONNX model ${path} must take one float32 image input [batch, 3, height, width]; it takes features float32 [batch, 10]`,
      );
    });

    test('a model without names metadata says so (the labels file must then give them)', async () => {
      const session = await load('v8NoMetadata');
      assert.equal(session.classNames(), undefined);
      assert.deepEqual(session.metadata, {});
    });

    test('an input of the wrong length or size is refused before it reaches ONNX Runtime', async () => {
      const session = await load('v8');
      await assert.rejects(session.run(new Float32Array(10), 1, SIZE, SIZE), /input holds 10 values, \[1, 3, 64, 64\] needs 12288/);
      await assert.rejects(session.run(new Float32Array(3 * 32 * 32), 1, 32, 32), /takes 64x64 images, got 32x32/);
    });

    test('auto picks CUDA where it loads, else falls back to the CPU and says why', async (t) => {
      const session = await OnnxSession.load(paths.v8, { provider: 'auto' });
      sessions.push(session);
      if (session.provider === 'cuda') {
        assert.equal(session.fallbackReason, undefined);
        t.diagnostic('CUDA provider loaded');
        return;
      }
      assert.equal(session.provider, 'cpu');
      assert.match(session.fallbackReason ?? '', /\S/);
      // where auto fell back, asking for CUDA outright is an error that names the model and what CUDA needs
      await assert.rejects(OnnxSession.load(paths.v8, { provider: 'cuda' }), (error: Error) => {
        assert.ok(error.message.startsWith(`cannot load ONNX model ${paths.v8} with the CUDA provider: `), error.message);
        assert.match(error.message, /libonnxruntime_providers_cuda\.so/);
        return true;
      });
    });
  });

  describe('readModelMetadata', () => {
    test("reads Ultralytics' metadata_props without loading the graph", async () => {
      const metadata = await readModelMetadata(paths.v5);
      assert.equal(metadata.task, 'detect');
      assert.equal(metadata.imgsz, '[64, 64]');
      assert.equal(metadata.names, `{0: 'person', 1: 'helmet', 2: "driver's cab"}`);
    });

    test('refuses a file that is not protobuf', async () => {
      const path = join(dir, 'garbage.onnx');
      await writeFile(path, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
      await assert.rejects(readModelMetadata(path), /is not an ONNX model/);
    });
  });
});
