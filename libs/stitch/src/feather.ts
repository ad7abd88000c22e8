/**
 * Feathering weights for the overlap strip, computed once per calibration: each input's weight grows with a pixel's
 * distance from that input's edge, so the seam fades across the whole strip instead of showing as a line. Edges that
 * lie on the panorama's border are not seams and do not count. Pure numbers (no OpenCV), unit-tested.
 */
import { corners, edgeDistance, type Point } from './geometry';
import type { PanoramaLayout } from './layout';

export interface FeatherWeights {
  /** the overlap strip's size */
  width: number;
  height: number;
  /** input 0's weight per pixel, 0..255, repeated for the 3 colour channels (a CV_8UC3 image's bytes) */
  first: Buffer;
  /** 255 - first */
  second: Buffer;
}

/** Pixels within this distance of an input's seam edge are bilinear mixes with the warp's black border: not its pixels. */
const EDGE_MARGIN = 0.5;
/** rows per turn of the event loop while the weights are computed (a 4K strip is millions of pixels) */
const ROWS_PER_TURN = 64;

interface Edge {
  a: Point;
  b: Point;
  /** false: on the panorama's border, so nothing lies beyond it to blend with */
  seam: boolean;
}

export async function featherWeights(layout: PanoramaLayout): Promise<FeatherWeights> {
  const { overlap, output } = layout;
  const firstEdges = edgesOf(corners(layout.first, layout.first), output);
  const secondEdges = edgesOf(layout.quad, output);
  const first = Buffer.alloc(overlap.width * overlap.height * 3);
  const second = Buffer.alloc(first.length);
  for (let row = 0; row < overlap.height; row++) {
    if (row > 0 && row % ROWS_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
    for (let column = 0; column < overlap.width; column++) {
      const p = { x: overlap.x + column, y: overlap.y + row };
      const weight = Math.round(255 * firstWeight(distanceToSeam(firstEdges, p), distanceToSeam(secondEdges, p)));
      const at = (row * overlap.width + column) * 3;
      first.fill(weight, at, at + 3);
      second.fill(255 - weight, at, at + 3);
    }
  }
  return { width: overlap.width, height: overlap.height, first, second };
}

/**
 * Input 0's share, 0..1, from the two inputs' distances to their seams (undefined: the pixel is not the input's;
 * Infinity: the input has no seam). Input 0 covers the whole strip, so a pixel input 1 does not see is all input 0's.
 */
export function firstWeight(first: number | undefined, second: number | undefined): number {
  if (second === undefined) return 1;
  if (first === undefined) return 0;
  if (first === Infinity && second === Infinity) return 0.5;
  if (first === Infinity) return 1;
  if (second === Infinity) return 0;
  const sum = first + second;
  return sum > 0 ? first / sum : 0.5;
}

/** How far `p` is from the polygon's nearest seam edge; undefined when it is outside the polygon (or on a seam). */
export function distanceToSeam(edges: readonly Edge[], p: Point): number | undefined {
  let nearest = Infinity;
  for (const { a, b, seam } of edges) {
    const d = edgeDistance(a, b, p);
    if (d < (seam ? EDGE_MARGIN : -EDGE_MARGIN)) return undefined;
    if (seam) nearest = Math.min(nearest, d);
  }
  return nearest;
}

/** A polygon's edges, each marked a seam unless it lies along one side of the output. */
export function edgesOf(polygon: readonly Point[], output: { width: number; height: number }): Edge[] {
  const onBorder = (a: Point, b: Point): boolean => {
    const near = (u: number, v: number): boolean => Math.abs(u - v) <= 1;
    return (near(a.x, 0) && near(b.x, 0)) || (near(a.y, 0) && near(b.y, 0)) ||
      (near(a.x, output.width - 1) && near(b.x, output.width - 1)) || (near(a.y, output.height - 1) && near(b.y, output.height - 1));
  };
  return polygon.map((a, i) => {
    const b = polygon[(i + 1) % polygon.length]!;
    return { a, b, seam: !onBorder(a, b) };
  });
}
