/**
 * Geometry in normalised frame coordinates (0..1, origin top-left, y down), the coordinates of
 * `Detection.box` and of zone polygons, so nothing here needs the frame size.
 */

export type Point = readonly [x: number, y: number];
export type Polygon = readonly Point[];
/** [x1, y1, x2, y2] with x1 <= x2 and y1 <= y2 */
export type Box = readonly [x1: number, y1: number, x2: number, y2: number];

/** Tolerance for "on the edge": float noise from normalising pixel coordinates. */
const EDGE_EPSILON = 1e-9;

/**
 * Whether a point is inside a polygon, by the even-odd rule (so concave and self-crossing
 * polygons work). Points on an edge or a vertex count as inside: boxes are clipped to the frame,
 * so a person at the bottom of the picture has feet at exactly y = 1, and a zone drawn to the
 * frame border must contain them.
 */
export function pointInPolygon(point: Point, polygon: Polygon): boolean {
  const [x, y] = point;
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i];
    const [xj, yj] = polygon[j];
    if (onSegment(x, y, xi, yi, xj, yj)) return true;
    // the edge crosses the horizontal ray going right from the point
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function onSegment(x: number, y: number, ax: number, ay: number, bx: number, by: number): boolean {
  const cross = (bx - ax) * (y - ay) - (by - ay) * (x - ax);
  if (Math.abs(cross) > EDGE_EPSILON) return false;
  return (
    x >= Math.min(ax, bx) - EDGE_EPSILON &&
    x <= Math.max(ax, bx) + EDGE_EPSILON &&
    y >= Math.min(ay, by) - EDGE_EPSILON &&
    y <= Math.max(ay, by) + EDGE_EPSILON
  );
}

/**
 * The point of a box that stands for "where the object is".
 * - `bottom-centre`: where the object touches the ground; for a person, their feet. A fixed
 *   camera looks down at the floor, so zones are drawn on the floor, and a person whose head
 *   overlaps a zone drawn behind them is not in it.
 * - `centre`: the middle of the box, for things that do not stand on the floor.
 */
export type BoxAnchor = 'bottom-centre' | 'centre';

export function anchorPoint(box: Box, anchor: BoxAnchor = 'bottom-centre'): Point {
  const [x1, y1, x2, y2] = box;
  const cx = (x1 + x2) / 2;
  return anchor === 'bottom-centre' ? [cx, y2] : [cx, (y1 + y2) / 2];
}

/** Whether an object is in a zone: its anchor point (by default its feet) is inside the polygon. */
export function boxInZone(box: Box, polygon: Polygon, anchor: BoxAnchor = 'bottom-centre'): boolean {
  return pointInPolygon(anchorPoint(box, anchor), polygon);
}

export function boxArea(box: Box): number {
  return Math.max(0, box[2] - box[0]) * Math.max(0, box[3] - box[1]);
}

export function intersectionArea(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  return w > 0 && h > 0 ? w * h : 0;
}

/** Intersection over union, 0..1; 0 for boxes that only touch or have no area. */
export function iou(a: Box, b: Box): number {
  const inter = intersectionArea(a, b);
  if (inter === 0) return 0;
  return inter / (boxArea(a) + boxArea(b) - inter);
}

/**
 * The share of `a`'s area that lies inside `b`, 0..1. Unlike IoU it does not shrink when `b` is
 * much larger than `a`, which is what "this helmet is in that head region" needs.
 */
export function intersectionOverArea(a: Box, b: Box): number {
  const area = boxArea(a);
  return area === 0 ? 0 : intersectionArea(a, b) / area;
}

/** Fractions of a box: [left, top, right, bottom], each 0..1 of the box's width or height. */
export type BoxFractions = readonly [left: number, top: number, right: number, bottom: number];

/** A region of a box given as fractions of it, e.g. [0, 0, 1, 1/3] is its top third. */
export function subBox(box: Box, [left, top, right, bottom]: BoxFractions): Box {
  const [x1, y1, x2, y2] = box;
  const w = x2 - x1;
  const h = y2 - y1;
  return [x1 + w * left, y1 + h * top, x1 + w * right, y1 + h * bottom];
}
