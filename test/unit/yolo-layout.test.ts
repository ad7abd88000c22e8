import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { detectLayout } from '../../libs/detect/src/yolo/layout';

describe('detectLayout', () => {
  test('YOLOv8/11 COCO export [1, 84, 8400], with and without the class names', () => {
    assert.deepEqual(detectLayout([1, 84, 8400], 80), { kind: 'v8', classes: 80, anchors: 8400 });
    assert.deepEqual(detectLayout([1, 84, 8400]), { kind: 'v8', classes: 80, anchors: 8400 });
  });

  test('YOLOv5 COCO export [1, 25200, 85] (objectness column), with and without the class names', () => {
    assert.deepEqual(detectLayout([1, 25200, 85], 80), { kind: 'v5', classes: 80, anchors: 25200 });
    assert.deepEqual(detectLayout([1, 25200, 85]), { kind: 'v5', classes: 80, anchors: 25200 });
  });

  test('a two-class PPE model [1, 6, 8400] is v8, not v5 with one class', () => {
    assert.deepEqual(detectLayout([1, 6, 8400], 2), { kind: 'v8', classes: 2, anchors: 8400 });
    assert.deepEqual(detectLayout([1, 6, 8400]), { kind: 'v8', classes: 2, anchors: 8400 });
  });

  test('a dynamic export (batch and anchors symbolic) is read with the class names; anchors stay open', () => {
    assert.deepEqual(detectLayout(['batch', 84, 'anchors'], 80), { kind: 'v8', classes: 80, anchors: null });
    assert.deepEqual(detectLayout(['batch', 'anchors', 8], 3), { kind: 'v5', classes: 3, anchors: null });
    assert.deepEqual(detectLayout(['', 7, 16], 3), { kind: 'v8', classes: 3, anchors: 16 });
  });

  test('a dynamic export without class names is refused: the sizes alone cannot tell', () => {
    assert.throws(() => detectLayout(['batch', 84, 'anchors']), /model output \[batch, 84, anchors\].*dynamic size.*give the class names/);
  });

  test('an ambiguous tiny head ([1, 7, 8] with 3 classes) takes the reading with more anchors than values', () => {
    assert.deepEqual(detectLayout([1, 7, 8], 3), { kind: 'v8', classes: 3, anchors: 8 });
  });

  test('refuses a head whose class count disagrees with the names, saying both and what it expected', () => {
    assert.throws(
      () => detectLayout([1, 84, 8400], 3),
      (error: Error) => {
        assert.match(error.message, /model output \[1, 84, 8400\]/);
        assert.match(error.message, /80 classes as YOLOv8\/11, the names list 3/);
        assert.match(error.message, /expected YOLOv8\/11 \[batch, 7, anchors\] or YOLOv5 \[batch, anchors, 8\] for 3 class names/);
        return true;
      },
    );
  });

  test('refuses a segmentation head (mask coefficients after the classes)', () => {
    assert.throws(() => detectLayout([1, 116, 8400], 80), /\[1, 116, 8400\].*112 classes/);
  });

  test('refuses an end-to-end export with NMS inside ([1, 300, 6])', () => {
    assert.throws(() => detectLayout([1, 300, 6], 80), /\[1, 300, 6\] is not a YOLO detection output \(it has 1 class as YOLOv5, the names list 80\)/);
  });

  test('refuses an output of the wrong rank, e.g. a classifier', () => {
    assert.throws(() => detectLayout([1, 1000]), /\[1, 1000\].*rank 2, not 3/);
    assert.throws(() => detectLayout([1, 3, 640, 640], 80), /rank 4/);
  });

  test('refuses sizes that fit neither layout', () => {
    assert.throws(() => detectLayout([1, 4, 4]), /fit neither layout/);
    assert.throws(() => detectLayout([1, 3, 3], 1), /fit neither layout/);
  });

  test('refuses a class count that is not a positive integer', () => {
    assert.throws(() => detectLayout([1, 84, 8400], 0), /positive integer, got 0/);
  });
});
