import type { YoloLayout } from './layout';

/** Minimum score for a class id; a box of that class below it is dropped. */
export type ClassThreshold = (classId: number) => number;

/**
 * Candidate boxes of one image in struct-of-arrays form (the decoder runs over thousands of anchors per frame, so
 * nothing is allocated per box). Reuse one instance: `decode` clears it and grows it when needed.
 */
export class Candidates {
  count = 0;
  /** x1, y1, x2, y2 per candidate, input pixels */
  boxes: Float32Array;
  scores: Float32Array;
  classes: Int32Array;

  constructor(capacity = 256) {
    this.boxes = new Float32Array(capacity * 4);
    this.scores = new Float32Array(capacity);
    this.classes = new Int32Array(capacity);
  }

  clear(): void {
    this.count = 0;
  }

  push(x1: number, y1: number, x2: number, y2: number, score: number, classId: number): void {
    if (this.count === this.scores.length) this.grow();
    const i = this.count++;
    this.boxes[i * 4] = x1;
    this.boxes[i * 4 + 1] = y1;
    this.boxes[i * 4 + 2] = x2;
    this.boxes[i * 4 + 3] = y2;
    this.scores[i] = score;
    this.classes[i] = classId;
  }

  private grow(): void {
    const capacity = Math.max(16, this.scores.length * 2);
    const boxes = new Float32Array(capacity * 4);
    boxes.set(this.boxes);
    const scores = new Float32Array(capacity);
    scores.set(this.scores);
    const classes = new Int32Array(capacity);
    classes.set(this.classes);
    this.boxes = boxes;
    this.scores = scores;
    this.classes = classes;
  }
}

/**
 * Decodes one image's slice of a YOLO output (`output` holds exactly that image: pass a `subarray`) into candidates
 * whose best class reaches its minimum confidence. One class per anchor, the best one, as Ultralytics does;
 * YOLOv5's score is objectness times class score.
 */
export function decode(
  output: Float32Array,
  layout: Pick<YoloLayout, 'kind' | 'classes'> & { anchors: number },
  minConfidence: ClassThreshold,
  out: Candidates = new Candidates(),
): Candidates {
  const { kind, classes: C, anchors: N } = layout;
  const stride = kind === 'v8' ? 4 + C : 5 + C;
  if (output.length !== N * stride) {
    throw new Error(`decode: a ${kind} output with ${C} classes and ${N} anchors holds ${N * stride} values, got ${output.length}`);
  }
  const thresholds = new Float32Array(C);
  let floor = Infinity;
  for (let c = 0; c < C; c++) {
    thresholds[c] = minConfidence(c);
    if (thresholds[c] < floor) floor = thresholds[c];
  }
  out.clear();
  if (kind === 'v8') decodeV8(output, C, N, thresholds, out);
  else decodeV5(output, C, N, thresholds, floor, out);
  return out;
}

/** `[4 + C, N]`: row r of anchor i at r * N + i. Walking classes with stride N stays in cache: 4 + C lines per 16 anchors. */
function decodeV8(data: Float32Array, C: number, N: number, thresholds: Float32Array, out: Candidates): void {
  for (let i = 0; i < N; i++) {
    let best = -Infinity;
    let bestClass = 0;
    for (let c = 0, at = 4 * N + i; c < C; c++, at += N) {
      const score = data[at];
      if (score > best) {
        best = score;
        bestClass = c;
      }
    }
    if (!(best >= thresholds[bestClass])) continue;
    pushCxCyWh(out, data[i], data[N + i], data[2 * N + i], data[3 * N + i], best, bestClass);
  }
}

/** `[N, 5 + C]`: one row per anchor. */
function decodeV5(data: Float32Array, C: number, N: number, thresholds: Float32Array, floor: number, out: Candidates): void {
  const stride = 5 + C;
  for (let i = 0, row = 0; i < N; i++, row += stride) {
    const objectness = data[row + 4];
    // class scores are at most 1, so objectness bounds the score: most anchors stop here
    if (!(objectness >= floor)) continue;
    let best = -Infinity;
    let bestClass = 0;
    for (let c = 0; c < C; c++) {
      const score = data[row + 5 + c];
      if (score > best) {
        best = score;
        bestClass = c;
      }
    }
    const score = objectness * best;
    if (!(score >= thresholds[bestClass])) continue;
    pushCxCyWh(out, data[row], data[row + 1], data[row + 2], data[row + 3], score, bestClass);
  }
}

function pushCxCyWh(out: Candidates, cx: number, cy: number, w: number, h: number, score: number, classId: number): void {
  out.push(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, score, classId);
}

/**
 * Greedy non-maximum suppression, per class: boxes of different classes never suppress each other (a helmet sits
 * inside a person). Returns the indices of the kept candidates, best score first, at most `maxDetections`.
 * A box is suppressed when its IoU with a kept box of its class is above `iou`.
 */
export function nms(candidates: Candidates, iou: number, maxDetections = 300): number[] {
  const { count, boxes, scores, classes } = candidates;
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  // ties keep the decode order (anchor order), so the result does not depend on the sort's stability
  order.sort((a, b) => scores[b] - scores[a] || a - b);
  const suppressed = new Uint8Array(count);
  const kept: number[] = [];
  for (let oi = 0; oi < count && kept.length < maxDetections; oi++) {
    const i = order[oi];
    if (suppressed[i]) continue;
    kept.push(i);
    const ax1 = boxes[i * 4];
    const ay1 = boxes[i * 4 + 1];
    const ax2 = boxes[i * 4 + 2];
    const ay2 = boxes[i * 4 + 3];
    const areaA = Math.max(0, ax2 - ax1) * Math.max(0, ay2 - ay1);
    for (let oj = oi + 1; oj < count; oj++) {
      const j = order[oj];
      if (suppressed[j] || classes[j] !== classes[i]) continue;
      const bx1 = boxes[j * 4];
      const by1 = boxes[j * 4 + 1];
      const bx2 = boxes[j * 4 + 2];
      const by2 = boxes[j * 4 + 3];
      const w = Math.min(ax2, bx2) - Math.max(ax1, bx1);
      const h = Math.min(ay2, by2) - Math.max(ay1, by1);
      if (w <= 0 || h <= 0) continue;
      const inter = w * h;
      const union = areaA + Math.max(0, bx2 - bx1) * Math.max(0, by2 - by1) - inter;
      if (union > 0 && inter / union > iou) suppressed[j] = 1;
    }
  }
  return kept;
}
