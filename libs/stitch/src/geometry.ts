/**
 * The plain-number geometry of a stitch: homographies as 9 row-major numbers, the quadrilateral an input becomes,
 * polygons and rectangles in panorama pixels. No OpenCV here, so every rule is unit-tested on its own.
 *
 * Coordinates are pixel centres: a `width` x `height` image spans x = 0 .. width - 1, the convention of OpenCV's
 * warpPerspective and of keypoint positions.
 */
import type { Rect, Size } from './types';

export interface Point {
  x: number;
  y: number;
}

/** 3x3 row-major: (x, y) -> ((h0 x + h1 y + h2) / w, (h3 x + h4 y + h5) / w) with w = h6 x + h7 y + h8 */
export type Homography = readonly number[];

export const IDENTITY: Homography = Object.freeze([1, 0, 0, 0, 1, 0, 0, 0, 1]);

export function translation(dx: number, dy: number): number[] {
  return [1, 0, dx, 0, 1, dy, 0, 0, 1];
}

/** a * b: first b, then a. */
export function multiply(a: Homography, b: Homography): number[] {
  const out = new Array<number>(9);
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 3; col++) {
      out[row * 3 + col] = a[row * 3]! * b[col]! + a[row * 3 + 1]! * b[3 + col]! + a[row * 3 + 2]! * b[6 + col]!;
    }
  }
  return out;
}

/** Where `h` takes `p`, with the projective divisor `w` (w <= 0: the point is on or past the horizon). */
export function project(h: Homography, p: Point): Point & { w: number } {
  const w = h[6]! * p.x + h[7]! * p.y + h[8]!;
  return { x: (h[0]! * p.x + h[1]! * p.y + h[2]!) / w, y: (h[3]! * p.x + h[4]! * p.y + h[5]!) / w, w };
}

/** The corner pixel centres, clockwise on screen (y points down): top-left, top-right, bottom-right, bottom-left. */
export function corners(size: Size, at: Point = { x: 0, y: 0 }): Point[] {
  const right = at.x + size.width - 1;
  const bottom = at.y + size.height - 1;
  return [{ x: at.x, y: at.y }, { x: right, y: at.y }, { x: right, y: bottom }, { x: at.x, y: bottom }];
}

/** Shoelace area, positive for `corners()`' order (clockwise on screen). */
export function signedArea(polygon: readonly Point[]): number {
  let twice = 0;
  for (let i = 0; i < polygon.length; i++) {
    const a = polygon[i]!;
    const b = polygon[(i + 1) % polygon.length]!;
    twice += a.x * b.y - b.x * a.y;
  }
  return twice / 2;
}

/** How far `p` lies inside the edge a -> b of a positively oriented polygon (negative: outside), in pixels. */
export function edgeDistance(a: Point, b: Point, p: Point): number {
  const length = Math.hypot(b.x - a.x, b.y - a.y);
  return length === 0 ? -Infinity : ((b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x)) / length;
}

/** The smallest edgeDistance of `p` to a convex, positively oriented polygon: >= 0 inside. */
export function insideDistance(polygon: readonly Point[], p: Point): number {
  let least = Infinity;
  for (let i = 0; i < polygon.length; i++) least = Math.min(least, edgeDistance(polygon[i]!, polygon[(i + 1) % polygon.length]!, p));
  return least;
}

/** Sutherland-Hodgman: the part of `subject` inside the convex, positively oriented `clip`. */
export function clipPolygon(subject: readonly Point[], clip: readonly Point[]): Point[] {
  let out = [...subject];
  for (let i = 0; i < clip.length && out.length > 0; i++) {
    const a = clip[i]!;
    const b = clip[(i + 1) % clip.length]!;
    const input = out;
    out = [];
    for (let j = 0; j < input.length; j++) {
      const current = input[j]!;
      const previous = input[(j + input.length - 1) % input.length]!;
      const dc = edgeDistance(a, b, current);
      const dp = edgeDistance(a, b, previous);
      if (dc >= 0) {
        if (dp < 0) out.push(crossing(previous, current, dp, dc));
        out.push(current);
      } else if (dp >= 0) {
        out.push(crossing(previous, current, dp, dc));
      }
    }
  }
  return out;
}

function crossing(from: Point, to: Point, dFrom: number, dTo: number): Point {
  const t = dFrom / (dFrom - dTo);
  return { x: from.x + t * (to.x - from.x), y: from.y + t * (to.y - from.y) };
}

/** The interior angles of a polygon, degrees. */
export function cornerAngles(polygon: readonly Point[]): number[] {
  return polygon.map((p, i) => {
    const prev = polygon[(i + polygon.length - 1) % polygon.length]!;
    const next = polygon[(i + 1) % polygon.length]!;
    const ax = prev.x - p.x;
    const ay = prev.y - p.y;
    const bx = next.x - p.x;
    const by = next.y - p.y;
    const cos = (ax * bx + ay * by) / (Math.hypot(ax, ay) * Math.hypot(bx, by));
    return (Math.acos(Math.max(-1, Math.min(1, cos))) * 180) / Math.PI;
  });
}

/** Whether every turn of the polygon goes the same way as `corners()` (clockwise on screen). */
export function isConvex(polygon: readonly Point[]): boolean {
  return polygon.every((p, i) => {
    const next = polygon[(i + 1) % polygon.length]!;
    const after = polygon[(i + 2) % polygon.length]!;
    return (next.x - p.x) * (after.y - next.y) - (next.y - p.y) * (after.x - next.x) > 0;
  });
}

/** The smallest pixel rectangle holding every point's pixel, cut to `within`; width or height 0 when nothing is left. */
export function boundingRect(points: readonly Point[], within: Rect): Rect {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const x0 = Math.max(within.x, Math.floor(Math.min(...xs)));
  const y0 = Math.max(within.y, Math.floor(Math.min(...ys)));
  const x1 = Math.min(within.x + within.width - 1, Math.ceil(Math.max(...xs)));
  const y1 = Math.min(within.y + within.height - 1, Math.ceil(Math.max(...ys)));
  return { x: x0, y: y0, width: Math.max(0, x1 - x0 + 1), height: Math.max(0, y1 - y0 + 1) };
}

/**
 * A large axis-aligned rectangle of whole pixels whose every pixel centre lies at least `margin` inside the convex
 * `polygon`, found by shrinking `start` one pixel at a time from whichever side a stray corner's edge faces most.
 * Undefined when nothing is left.
 */
export function inscribedRect(polygon: readonly Point[], start: Rect, margin = 1): Rect | undefined {
  let x0 = start.x;
  let y0 = start.y;
  let x1 = start.x + start.width - 1;
  let y1 = start.y + start.height - 1;
  while (x0 <= x1 && y0 <= y1) {
    let top = false;
    let bottom = false;
    let left = false;
    let right = false;
    for (const [x, y, isTop, isLeft] of [[x0, y0, true, true], [x1, y0, true, false], [x1, y1, false, false], [x0, y1, false, true]] as const) {
      const worst = worstEdge(polygon, { x, y });
      if (worst.distance >= margin) continue;
      // move the side that gets the corner furthest from the edge per pixel
      if (Math.abs(worst.normal.y) >= Math.abs(worst.normal.x)) {
        if (isTop) top = true;
        else bottom = true;
      } else if (isLeft) {
        left = true;
      } else {
        right = true;
      }
    }
    if (!top && !bottom && !left && !right) return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
    if (top) y0++;
    if (bottom) y1--;
    if (left) x0++;
    if (right) x1--;
  }
  return undefined;
}

function worstEdge(polygon: readonly Point[], p: Point): { distance: number; normal: Point } {
  let distance = Infinity;
  let normal: Point = { x: 0, y: 0 };
  for (let i = 0; i < polygon.length; i++) {
    const a = polygon[i]!;
    const b = polygon[(i + 1) % polygon.length]!;
    const d = edgeDistance(a, b, p);
    if (d < distance) {
      distance = d;
      const length = Math.hypot(b.x - a.x, b.y - a.y) || 1;
      normal = { x: -(b.y - a.y) / length, y: (b.x - a.x) / length };
    }
  }
  return { distance, normal };
}

/** The parts of `rect` that none of `holes` cover, as rectangles. */
export function uncovered(rect: Rect, holes: readonly Rect[]): Rect[] {
  let pieces = [rect];
  for (const hole of holes) pieces = pieces.flatMap((piece) => subtract(piece, hole));
  return pieces;
}

function subtract(r: Rect, hole: Rect): Rect[] {
  const hx0 = Math.max(r.x, hole.x);
  const hy0 = Math.max(r.y, hole.y);
  const hx1 = Math.min(r.x + r.width, hole.x + hole.width);
  const hy1 = Math.min(r.y + r.height, hole.y + hole.height);
  if (hx0 >= hx1 || hy0 >= hy1) return [r];
  return [
    { x: r.x, y: r.y, width: r.width, height: hy0 - r.y },
    { x: r.x, y: hy1, width: r.width, height: r.y + r.height - hy1 },
    { x: r.x, y: hy0, width: hx0 - r.x, height: hy1 - hy0 },
    { x: hx1, y: hy0, width: r.x + r.width - hx1, height: hy1 - hy0 },
  ].filter((piece) => piece.width > 0 && piece.height > 0);
}

export function rectInside(inner: Rect, outer: Rect): boolean {
  return inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.width <= outer.x + outer.width && inner.y + inner.height <= outer.y + outer.height;
}
