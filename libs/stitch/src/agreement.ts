/**
 * How well the two inputs agree where both see the scene: the normalised cross-correlation of their gray pixels in
 * the overlap, at half resolution. Correlation, not a pixel difference, so two cameras with different exposure or
 * white balance still agree; half resolution, so JPEG noise and the warp's interpolation do not count as
 * disagreement while a shift of a few pixels still does.
 */
import type { Mat } from '@u4/opencv4nodejs';
import { opencv, releaseMats } from '@vigil/media/opencv';

/**
 * Below this agreement the overlap no longer lines up: a camera moved (panned, was bumped, zoomed) since calibration,
 * and the service should calibrate again once it stays below for a while (one low frame can be a passing object that
 * only one camera sees closely). Measured on the medium test's scene (mandelbrot, 320 px overlap): an unmoved pair
 * agrees at 1.00 (0.998 with a perspective on one view); the right camera panned by 2 px: 0.92, 4 px: 0.83, 8 px:
 * 0.71, 12 px: 0.64, 20 px: 0.52, 40 px: 0.32; tilted (moved vertically) by 8 px: 0.60, 40 px: 0.16. So this floor
 * notices a move of about 10 pixels, where the seam starts to show a double image, and leaves real cameras' exposure
 * differences and noise (correlation ignores gain and offset) well above it. Content decides the figures: a flat
 * overlap cannot disagree much, which is why agreement is left out where the overlap is flat (see FLAT_STDDEV).
 */
export const DRIFT_AGREEMENT_FLOOR = 0.7;

/** Frames between two agreement measurements by default (the first frame is always measured). */
export const DEFAULT_AGREEMENT_EVERY = 10;

/** gray levels: an overlap whose pixels vary less than this (a white wall, a black night) has nothing to correlate */
const FLAT_STDDEV = 4;

/** Agreement of two same-size BGR regions, 0..1, or undefined when either is too flat to tell. */
export async function agreementOf(first: Mat, second: Mat): Promise<number | undefined> {
  const cv = opencv();
  const small = new cv.Size(Math.max(1, Math.round(first.cols / 2)), Math.max(1, Math.round(first.rows / 2)));
  const mats: Mat[] = [];
  try {
    const grays = await Promise.all([first.bgrToGrayAsync(), second.bgrToGrayAsync()]);
    mats.push(...grays);
    const halves = await Promise.all(grays.map((gray) => gray.resizeAsync(small, 0, 0, cv.INTER_AREA)));
    mats.push(...halves);
    const spreads = await Promise.all(halves.map((half) => half.meanStdDevAsync()));
    mats.push(...spreads.flatMap(({ mean, stddev }) => [mean, stddev]));
    if (spreads.some(({ stddev }) => !(stddev.at(0, 0) >= FLAT_STDDEV))) return undefined;
    // the template is as large as the image: one position, whose score is the correlation coefficient
    const score = await halves[0]!.matchTemplateAsync(halves[1]!, cv.TM_CCOEFF_NORMED);
    mats.push(score);
    const ncc = score.at(0, 0);
    return Number.isFinite(ncc) ? Math.max(0, Math.min(1, ncc)) : undefined;
  } finally {
    releaseMats(...mats);
  }
}
