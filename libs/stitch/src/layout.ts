/**
 * From a homography between the two inputs to the panorama they make: where each input lands, how large the result
 * is, the strip they share. Every way a homography can be implausible for two cameras of one scene is a refusal
 * with a reason here, so calibration (fresh from RANSAC) and loading (read back from Redis) apply the same rules.
 */
import {
  boundingRect,
  clipPolygon,
  cornerAngles,
  corners,
  inscribedRect,
  isConvex,
  multiply,
  project,
  signedArea,
  translation,
  type Homography,
  type Point,
} from './geometry';
import type { StitchLimits } from './limits';
import type { Rect, Size } from './types';

export interface PanoramaLayout {
  /** input 1 -> panorama */
  homography: number[];
  /** where input 0's top-left pixel lands */
  offset: Point;
  output: Size;
  /** input 0's rectangle in the panorama */
  first: Rect;
  /** input 1's corners in the panorama (convex, clockwise on screen) */
  quad: Point[];
  /** the pixel rectangle around both inputs' common part: the only pixels blended */
  overlap: Rect;
  /** a rectangle inside the common part, every pixel seen by both: where agreement is measured */
  agreement: Rect;
}

export type LayoutOutcome = { ok: true; layout: PanoramaLayout } | { ok: false; reason: string };

/** Lays out a panorama from `toFirst` (input 1 pixels -> input 0 pixels), or says why that homography cannot be one. */
export function layOut(toFirst: Homography, inputs: readonly [Size, Size], limits: StitchLimits): LayoutOutcome {
  const [first, second] = inputs;
  if (toFirst.length !== 9 || !toFirst.every(Number.isFinite)) return refuse('the homography is degenerate: it has entries that are not finite numbers');
  const mapped = corners(second).map((p) => project(toFirst, p));
  if (mapped.some((p) => !(p.w > 1e-6) || !Number.isFinite(p.x) || !Number.isFinite(p.y))) {
    return refuse('the homography is degenerate: it takes part of input 1 past the horizon');
  }
  const quad: Point[] = mapped.map(({ x, y }) => ({ x, y }));
  const area = signedArea(quad);
  if (area <= 0) return refuse('the homography is degenerate: it flips input 1 (mirrored or turned inside out)');
  if (!isConvex(quad)) return refuse('the homography is degenerate: input 1 would not stay a convex shape');
  const angles = cornerAngles(quad);
  const sharpest = Math.min(...angles);
  if (sharpest < limits.minCornerAngle) {
    return refuse(`the homography is degenerate: it skews input 1 too much (a corner of ${sharpest.toFixed(0)} degrees; at least ${limits.minCornerAngle})`);
  }
  const scale = Math.sqrt(area / signedArea(corners(second)));
  if (scale > limits.maxScale || scale < 1 / limits.maxScale) {
    return refuse(`the homography is degenerate: it scales input 1 by ${scale.toFixed(2)} (at most ${limits.maxScale} either way)`);
  }

  const all = [...corners(first), ...quad];
  const minX = Math.min(...all.map((p) => p.x));
  const minY = Math.min(...all.map((p) => p.y));
  // whole pixels, so input 0 is a plain copy; a corner a fraction of a pixel past 0 is RANSAC's noise, not a column
  const offset = { x: Math.max(0, -Math.round(minX)), y: Math.max(0, -Math.round(minY)) };
  const output = {
    width: Math.round(Math.max(...all.map((p) => p.x)) + offset.x) + 1,
    height: Math.round(Math.max(...all.map((p) => p.y)) + offset.y) + 1,
  };
  const tooLarge = outputProblem(output, inputs, limits);
  if (tooLarge) return refuse(`the homography is degenerate: ${tooLarge}`);

  const homography = multiply(translation(offset.x, offset.y), toFirst);
  const placed = quad.map((p) => ({ x: p.x + offset.x, y: p.y + offset.y }));
  const firstRect = { ...offset, ...first };
  const common = clipPolygon(placed, corners(first, offset));
  if (common.length < 3 || signedArea(common) < 1) return refuse('not enough overlap: once aligned, the inputs do not overlap');
  const overlap = boundingRect(common, firstRect);
  const agreement = inscribedRect(common, overlap);
  if (!agreement || agreement.width < limits.minOverlapSide || agreement.height < limits.minOverlapSide) {
    const seen = agreement ? `${agreement.width}x${agreement.height}` : 'no';
    return refuse(`not enough overlap: both inputs see ${seen} pixels in common, need at least ${limits.minOverlapSide}x${limits.minOverlapSide}`);
  }
  return { ok: true, layout: { homography, offset, output, first: firstRect, quad: placed, overlap, agreement } };
}

/** Why a panorama of `output` is out of bounds, or undefined. */
export function outputProblem(output: Size, inputs: readonly [Size, Size], limits: StitchLimits): string | undefined {
  const widest = limits.maxOutputToInputs * (inputs[0].width + inputs[1].width);
  const tallest = limits.maxOutputToInputs * (inputs[0].height + inputs[1].height);
  if (output.width > widest || output.height > tallest) {
    return `the panorama would be ${output.width}x${output.height}, more than ${limits.maxOutputToInputs} times the inputs' total (${widest}x${tallest})`;
  }
  if (output.width > limits.maxOutputSide || output.height > limits.maxOutputSide) {
    return `the panorama would be ${output.width}x${output.height}; at most ${limits.maxOutputSide} pixels each way`;
  }
  if (output.width * output.height > limits.maxOutputPixels) {
    return `the panorama would be ${output.width}x${output.height}, ${((output.width * output.height) / 1e6).toFixed(1)} megapixels; at most ${(limits.maxOutputPixels / 1e6).toFixed(1)}`;
  }
  return undefined;
}

function refuse(reason: string): LayoutOutcome {
  return { ok: false, reason };
}
