/**
 * Calibration: one JPEG of each camera -> features -> matches -> RANSAC homography -> a panorama layout, or a
 * refusal that says why. The JPEGs are hostile: sizes are bounded from their headers before decoding, and nothing
 * they contain can make this throw.
 */
import type { Mat } from '@u4/opencv4nodejs';
import { opencv, releaseMats } from '@vigil/media/opencv';
import { StitchInputError } from './errors';
import { DEFAULT_FEATURE_METHOD, matchFeatures } from './features';
import type { Point } from './geometry';
import { announcedSize, decodeInput, type Reduction } from './jpeg-input';
import { layOut } from './layout';
import { DEFAULT_STITCH_LIMITS } from './limits';
import type { CalibrationOutcome, FeatureMethod, Size } from './types';

export interface CalibrateOptions {
  /** feature detector; DEFAULT_FEATURE_METHOD ('akaze') */
  method?: FeatureMethod;
}

/**
 * Features are found on at most this many pixels on the longer side (libjpeg decodes a 4K frame at 1/2 for free):
 * AKAZE's cost grows with the pixels, its accuracy at 1920 is already sub-pixel in the panorama's terms.
 */
const FEATURE_MAX_SIDE = 1920;
/** RANSAC's reprojection threshold, pixels of input 0 */
const RANSAC_THRESHOLD = 3;
const RANSAC_ITERATIONS = 2000;
const RANSAC_CONFIDENCE = 0.995;

export async function calibrate(first: Buffer, second: Buffer, options: CalibrateOptions = {}): Promise<CalibrationOutcome> {
  const method = options.method ?? DEFAULT_FEATURE_METHOD;
  const limits = DEFAULT_STITCH_LIMITS;
  const grays: Mat[] = [];
  try {
    const sizes: [Size, Size] = [announcedSize(first, 0, limits), announcedSize(second, 1, limits)];
    const reductions = sizes.map(featureReduction) as [Reduction, Reduction];
    const decoded = await Promise.allSettled([
      decodeInput(first, 0, sizes[0], 'gray', reductions[0]),
      decodeInput(second, 1, sizes[1], 'gray', reductions[1]),
    ]);
    for (const result of decoded) if (result.status === 'fulfilled') grays.push(result.value);
    for (const result of decoded) if (result.status === 'rejected') throw result.reason;
    const matched = await matchFeatures(grays[0]!, grays[1]!, method, reductions);
    if (matched.matches < limits.minInliers) return refuse(`not enough overlap: ${matches(matched.matches)}, need ${limits.minInliers}`);
    const { homography, inliers } = await ransac(matched.from, matched.to);
    if (!homography || inliers < limits.minInliers) return refuse(`not enough overlap: ${matches(inliers, 'inlier ')}, need ${limits.minInliers}`);
    const placed = layOut(homography, sizes, limits);
    if (!placed.ok) return refuse(placed.reason);
    const { layout } = placed;
    return {
      ok: true,
      calibration: {
        version: 1,
        method,
        inputs: sizes,
        homography: layout.homography,
        offset: layout.offset,
        output: layout.output,
        overlap: layout.overlap,
        matches: matched.matches,
        inliers,
        at: Date.now(),
      },
    };
  } catch (error) {
    if (error instanceof StitchInputError) return refuse(error.message);
    // bytes that pass the header check can still upset OpenCV somewhere: the pair is refused, the caller goes on
    return refuse(`calibration failed: ${(error as Error).message}`);
  } finally {
    releaseMats(...grays);
  }
}

function featureReduction(size: Size): Reduction {
  const side = Math.max(size.width, size.height);
  for (const reduction of [1, 2, 4] as const) if (side / reduction <= FEATURE_MAX_SIDE) return reduction;
  return 8;
}

async function ransac(from: Point[], to: Point[]): Promise<{ homography?: number[]; inliers: number }> {
  const cv = opencv();
  const found = await cv.findHomographyAsync(
    from.map((p) => new cv.Point2(p.x, p.y)),
    to.map((p) => new cv.Point2(p.x, p.y)),
    cv.RANSAC,
    RANSAC_THRESHOLD,
    RANSAC_ITERATIONS,
    RANSAC_CONFIDENCE,
  );
  try {
    if (found.homography.empty) return { inliers: 0 };
    const inliers = found.mask.empty ? 0 : found.mask.countNonZero();
    return { homography: found.homography.getDataAsArray().flat(), inliers };
  } finally {
    releaseMats(found.homography, found.mask);
  }
}

function matches(count: number, kind = ''): string {
  return `${count} ${kind}${count === 1 ? 'match' : 'matches'}`;
}

function refuse(reason: string): CalibrationOutcome {
  return { ok: false, reason };
}
