import type { Size, StitchCalibration } from '@vigil/stitch';

/**
 * A well-formed calibration of two side-by-side inputs of these sizes, the right one `overlap` columns over the left
 * (what calibrating two views cut from one wide scene finds), for tests that need one without OpenCV.
 */
export function sideBySideCalibration(left: Size = { width: 384, height: 240 }, right: Size = left, overlap = Math.round(left.width / 3)): StitchCalibration {
  const shift = left.width - overlap;
  return {
    version: 1,
    method: 'orb',
    inputs: [left, right],
    homography: [1, 0, shift, 0, 1, 0, 0, 0, 1],
    offset: { x: 0, y: 0 },
    output: { width: shift + right.width, height: Math.max(left.height, right.height) },
    overlap: { x: shift, y: 0, width: overlap, height: Math.min(left.height, right.height) },
    matches: 200,
    inliers: 150,
    at: 1,
  };
}
