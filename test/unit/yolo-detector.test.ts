import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { YoloDetector, type BatchFrame } from '../../libs/detect/src/yolo/yolo-detector';
import { letterboxGeometry } from '../../libs/detect/src/yolo/letterbox';

const NAMES = ['person', 'helmet'];
const SIZE = 64;

/** A v8 output for a batch: per image, anchors as [x1, y1, x2, y2 (input px), person score, helmet score]. */
function v8Batch(anchors: number, images: number[][][]): { data: Float32Array; dims: number[] } {
  const rows = 4 + NAMES.length;
  const data = new Float32Array(images.length * rows * anchors);
  images.forEach((boxes, image) => {
    const base = image * rows * anchors;
    boxes.forEach(([x1, y1, x2, y2, ...scores], i) => {
      [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1, ...scores].forEach((value, row) => (data[base + row * anchors + i] = value));
    });
  });
  return { data, dims: [images.length, rows, anchors] };
}

function frame(width: number, height: number, extra: Partial<BatchFrame> = {}): BatchFrame {
  return { width, height, geometry: letterboxGeometry(width, height, SIZE, SIZE), ...extra };
}

const detector = (): YoloDetector =>
  new YoloDetector({ kind: 'v8', classes: 2, anchors: null }, { classNames: NAMES, minConfidence: () => 0.25, iou: 0.45 });

describe('YoloDetector', () => {
  test('maps each image of a batch with its own letterbox back to its frame', () => {
    // 128x64 frame: scale 0.5, padY 16; 64x128: scale 0.5, padX 16
    const output = v8Batch(4, [
      [[0, 16, 32, 48, 0.9, 0]],
      [[16, 0, 48, 32, 0, 0.8]],
    ]);
    const [landscape, portrait] = detector().detect(output, [frame(128, 64), frame(64, 128)]);
    assert.deepEqual(landscape, [{ label: 'person', classId: 0, score: Math.fround(0.9), box: [0, 0, 0.5, 1] }]);
    assert.deepEqual(portrait, [{ label: 'helmet', classId: 1, score: Math.fround(0.8), box: [0, 0, 1, 0.5] }]);
  });

  test("a frame's own thresholds (its camera's override) apply to that frame only", () => {
    const output = v8Batch(2, [[[0, 16, 32, 48, 0.5, 0]], [[0, 16, 32, 48, 0.5, 0]]]);
    const strict = (): number => 0.6;
    const [first, second] = detector().detect(output, [frame(128, 64, { minConfidence: strict }), frame(128, 64)]);
    assert.deepEqual(first, []);
    assert.equal(second.length, 1);
  });

  test("a frame's own IoU applies to that frame only", () => {
    // IoU of the two persons: 18 x 40 / (2 x 20 x 40 - 18 x 40) = 0.82
    const people = [
      [10, 20, 30, 60, 0.9, 0],
      [12, 20, 32, 60, 0.7, 0],
    ];
    const [loose, strict] = detector().detect(v8Batch(2, [people, people]), [frame(64, 64, { iou: 0.9 }), frame(64, 64)]);
    assert.equal(loose.length, 2);
    assert.equal(strict.length, 1);
  });

  test('runs class-aware NMS per image: a duplicate person goes, the helmet on it stays', () => {
    const output = v8Batch(3, [
      [
        [10, 20, 30, 60, 0.9, 0],
        [11, 20, 31, 60, 0.7, 0],
        [12, 20, 20, 30, 0, 0.6],
      ],
    ]);
    const [detections] = detector().detect(output, [frame(64, 64)]);
    assert.deepEqual(
      detections.map((d) => [d.label, d.score]),
      [
        ['person', Math.fround(0.9)],
        ['helmet', Math.fround(0.6)],
      ],
    );
  });

  test('drops a box that lies wholly in the letterbox padding (nothing of it is in the frame)', () => {
    const output = v8Batch(1, [[[0, 0, 64, 10, 0.9, 0]]]); // rows 0..15 are padding for a 128x64 frame
    assert.deepEqual(detector().detect(output, [frame(128, 64)]), [[]]);
  });

  test('refuses a run whose output does not fit the layout found at start', () => {
    const output = v8Batch(4, [[]]);
    assert.throws(() => detector().detect(output, [frame(64, 64), frame(64, 64)]), /model output \[1, 6, 4\] does not fit the v8 layout found at start, expected \[2, 6, anchors\]/);
    const fixed = new YoloDetector({ kind: 'v8', classes: 2, anchors: 8 }, { classNames: NAMES, minConfidence: () => 0.25, iou: 0.45 });
    assert.throws(() => fixed.detect(v8Batch(4, [[]]), [frame(64, 64)]), /expected \[1, 6, 8\]/);
  });

  test('reads a batch padded to a fixed model batch only as far as there are frames', () => {
    const padded = v8Batch(4, [[[0, 16, 32, 48, 0.9, 0]], [[16, 0, 48, 32, 0, 0.8]], [[0, 0, 64, 64, 0.7, 0]]]);
    const [only, ...rest] = detector().detect(padded, [frame(128, 64)]);
    assert.deepEqual(only, [{ label: 'person', classId: 0, score: Math.fround(0.9), box: [0, 0, 0.5, 1] }], 'image 0 of the padded batch');
    assert.deepEqual(rest, [], 'nothing for the padding');
  });

  test('refuses class names that do not match the number of classes', () => {
    assert.throws(
      () => new YoloDetector({ kind: 'v5', classes: 3, anchors: null }, { classNames: NAMES, minConfidence: () => 0.25, iou: 0.45 }),
      /the model outputs 3 classes, the class names list 2/,
    );
  });
});
