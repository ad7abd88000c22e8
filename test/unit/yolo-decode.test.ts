import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Candidates, decode, nms } from '../../libs/detect/src/yolo/decode';

interface Anchor {
  /** cx, cy, w, h in input pixels */
  cxcywh: [number, number, number, number];
  scores: number[];
  objectness?: number;
}

/** A YOLOv8 head's output for one image: [4 + C, N], row-major. */
function v8Output(classes: number, anchors: Anchor[]): Float32Array {
  const N = anchors.length;
  const data = new Float32Array((4 + classes) * N);
  anchors.forEach((anchor, i) => {
    anchor.cxcywh.forEach((value, row) => (data[row * N + i] = value));
    for (let c = 0; c < classes; c++) data[(4 + c) * N + i] = anchor.scores[c] ?? 0;
  });
  return data;
}

/** A YOLOv5 head's output for one image: [N, 5 + C]. */
function v5Output(classes: number, anchors: Anchor[]): Float32Array {
  const data = new Float32Array((5 + classes) * anchors.length);
  anchors.forEach((anchor, i) => {
    data.set([...anchor.cxcywh, anchor.objectness ?? 0, ...Array.from({ length: classes }, (_, c) => anchor.scores[c] ?? 0)], i * (5 + classes));
  });
  return data;
}

/** Candidates as plain rows, for deepEqual. */
function rows(candidates: Candidates): { box: number[]; score: number; classId: number }[] {
  return Array.from({ length: candidates.count }, (_, i) => ({
    box: Array.from(candidates.boxes.subarray(i * 4, i * 4 + 4)),
    score: candidates.scores[i],
    classId: candidates.classes[i],
  }));
}

const f = Math.fround;
const everything = (): number => 0.25;

describe('decode (YOLOv8 layout)', () => {
  test('turns cx, cy, w, h into corners and keeps the best class of each anchor above its threshold', () => {
    const output = v8Output(3, [
      { cxcywh: [100, 50, 40, 20], scores: [0.1, 0.9, 0.3] },
      { cxcywh: [10, 10, 4, 4], scores: [0.2, 0.1, 0.05] }, // best 0.2 < 0.25
      { cxcywh: [300, 200, 100, 300], scores: [0.6, 0, 0.59] },
    ]);
    const candidates = decode(output, { kind: 'v8', classes: 3, anchors: 3 }, everything);
    assert.deepEqual(rows(candidates), [
      { box: [80, 40, 120, 60], score: f(0.9), classId: 1 },
      { box: [250, 50, 350, 350], score: f(0.6), classId: 0 },
    ]);
  });

  test('applies each class its own minimum confidence', () => {
    const output = v8Output(2, [
      { cxcywh: [10, 10, 2, 2], scores: [0.4, 0] }, // person 0.4 >= 0.3: kept
      { cxcywh: [20, 20, 2, 2], scores: [0, 0.7] }, // helmet 0.7 < 0.8: dropped
      { cxcywh: [30, 30, 2, 2], scores: [0, 0.85] },
    ]);
    const thresholds = [0.3, 0.8];
    const candidates = decode(output, { kind: 'v8', classes: 2, anchors: 3 }, (classId) => thresholds[classId]);
    assert.deepEqual(
      rows(candidates).map((row) => [row.classId, row.score]),
      [
        [0, f(0.4)],
        [1, f(0.85)],
      ],
    );
  });

  test('one label per anchor, as Ultralytics: a runner-up class above its own lower threshold does not relabel the box', () => {
    const output = v8Output(2, [{ cxcywh: [10, 10, 2, 2], scores: [0.4, 0.35] }]);
    const thresholds = [0.5, 0.3];
    assert.equal(decode(output, { kind: 'v8', classes: 2, anchors: 1 }, (classId) => thresholds[classId]).count, 0);
  });

  test('a NaN score never passes', () => {
    const output = v8Output(1, [{ cxcywh: [10, 10, 2, 2], scores: [NaN] }]);
    assert.equal(decode(output, { kind: 'v8', classes: 1, anchors: 1 }, () => 0).count, 0);
  });

  test('refuses a slice whose length does not match the layout (a wrong per-image offset)', () => {
    assert.throws(() => decode(new Float32Array(7 * 16 - 1), { kind: 'v8', classes: 3, anchors: 16 }, everything), /a v8 output with 3 classes and 16 anchors holds 112 values, got 111/);
  });
});

describe('decode (YOLOv5 layout)', () => {
  test('scores a box by objectness times its best class score', () => {
    const output = v5Output(2, [
      { cxcywh: [100, 50, 40, 20], objectness: 0.5, scores: [0.2, 0.9] }, // 0.45: kept as class 1
      { cxcywh: [10, 10, 4, 4], objectness: 0.9, scores: [0.3, 0.1] }, // 0.27 < 0.4: dropped
      { cxcywh: [10, 10, 4, 4], objectness: 0.2, scores: [1, 1] }, // objectness alone below: dropped
    ]);
    const candidates = decode(output, { kind: 'v5', classes: 2, anchors: 3 }, () => 0.4);
    assert.deepEqual(rows(candidates), [{ box: [80, 40, 120, 60], score: f(f(0.5) * f(0.9)), classId: 1 }]);
  });

  test('skips an anchor by objectness against the lowest class threshold only', () => {
    // objectness 0.35 is below class 0's 0.5 but not class 1's 0.3: the anchor must still be looked at
    const output = v5Output(2, [{ cxcywh: [10, 10, 2, 2], objectness: 0.35, scores: [0, 1] }]);
    const thresholds = [0.5, 0.3];
    const candidates = decode(output, { kind: 'v5', classes: 2, anchors: 1 }, (classId) => thresholds[classId]);
    assert.deepEqual(rows(candidates), [{ box: [9, 9, 11, 11], score: f(0.35), classId: 1 }]);
  });
});

describe('Candidates', () => {
  test('grows past its capacity and is cleared by the next decode', () => {
    const out = new Candidates(2);
    const many = Array.from({ length: 100 }, (_, i): Anchor => ({ cxcywh: [i, i, 2, 2], scores: [0.5 + i / 1000] }));
    decode(v8Output(1, many), { kind: 'v8', classes: 1, anchors: 100 }, everything, out);
    assert.equal(out.count, 100);
    assert.deepEqual(rows(out)[99], { box: [98, 98, 100, 100], score: f(0.599), classId: 0 });
    decode(v8Output(1, many.slice(0, 3)), { kind: 'v8', classes: 1, anchors: 3 }, everything, out);
    assert.equal(out.count, 3);
  });
});

describe('nms', () => {
  function candidates(...boxes: { box: [number, number, number, number]; score: number; classId: number }[]): Candidates {
    const out = new Candidates();
    for (const { box, score, classId } of boxes) out.push(...box, score, classId);
    return out;
  }

  test('suppresses a weaker box of the same class that overlaps more than the IoU threshold', () => {
    const kept = nms(
      candidates(
        { box: [0, 0, 10, 10], score: 0.6, classId: 0 },
        { box: [1, 0, 11, 10], score: 0.9, classId: 0 }, // IoU with the first 90/110 = 0.82
      ),
      0.5,
    );
    assert.deepEqual(kept, [1]);
  });

  test('never lets a box suppress one of another class (the helmet inside the person box survives)', () => {
    const kept = nms(
      candidates(
        { box: [0, 0, 10, 10], score: 0.9, classId: 0 },
        { box: [0, 0, 10, 10], score: 0.8, classId: 1 },
      ),
      0.5,
    );
    assert.deepEqual(kept, [0, 1]);
  });

  test('keeps a box whose IoU equals the threshold (suppression is strictly above)', () => {
    // [0,0,10,10] and [5,0,15,10]: intersection 50, union 150, IoU 1/3
    const boxes = candidates({ box: [0, 0, 10, 10], score: 0.9, classId: 0 }, { box: [5, 0, 15, 10], score: 0.8, classId: 0 });
    assert.deepEqual(nms(boxes, 1 / 3), [0, 1]);
    assert.deepEqual(nms(boxes, 1 / 3 - 1e-6), [0]);
  });

  test('is greedy: a box suppressed by a better one cannot suppress a third', () => {
    const kept = nms(
      candidates(
        { box: [0, 0, 10, 10], score: 0.9, classId: 0 },
        { box: [4, 0, 14, 10], score: 0.8, classId: 0 }, // IoU 0.43 with the first: suppressed
        { box: [8, 0, 18, 10], score: 0.7, classId: 0 }, // IoU 0.11 with the first, 0.43 with the second: kept
      ),
      0.4,
    );
    assert.deepEqual(kept, [0, 2]);
  });

  test('returns the kept boxes best first and at most maxDetections of them', () => {
    const boxes = candidates(
      { box: [0, 0, 1, 1], score: 0.3, classId: 0 },
      { box: [10, 0, 11, 1], score: 0.9, classId: 0 },
      { box: [20, 0, 21, 1], score: 0.6, classId: 1 },
      { box: [30, 0, 31, 1], score: 0.6, classId: 0 },
    );
    assert.deepEqual(nms(boxes, 0.5), [1, 2, 3, 0]);
    assert.deepEqual(nms(boxes, 0.5, 2), [1, 2]);
  });

  test('handles no candidates and degenerate (zero-area) boxes', () => {
    assert.deepEqual(nms(new Candidates(), 0.5), []);
    const boxes = candidates({ box: [5, 5, 5, 5], score: 0.9, classId: 0 }, { box: [5, 5, 5, 5], score: 0.8, classId: 0 });
    assert.deepEqual(nms(boxes, 0.5), [0, 1]);
  });
});
