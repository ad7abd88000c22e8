/**
 * The bounds of the stitching library, declared once beside their reasons. Calibration refuses a pair outside them
 * with a reason; `stitchCalibrationSchema` refuses a stored calibration outside them.
 */
import type { Size } from './types';

export interface StitchLimits {
  /** the smallest input frame: fewer pixels hold too few features to match */
  minInput: Size;
  /**
   * the largest input frame, checked in the JPEG header before anything is decoded (a header can announce 65535 x
   * 65535, 12 GB of pixels); the camera limits' 4K
   */
  maxInput: Size;
  /** the panorama's longest side (a JPEG cannot exceed 65535; two 4K cameras side by side fit) */
  maxOutputSide: number;
  /** the panorama's pixels: two 4K frames' worth, the JPEG encode of which already takes ~60 ms of a core */
  maxOutputPixels: number;
  /**
   * the panorama's width (height) at most this many times the inputs' total width (height): two cameras that overlap
   * make a panorama narrower than their sum, so a wider one comes from a homography that stretches an input
   */
  maxOutputToInputs: number;
  /** matches that survive RANSAC, at least: below it the inputs do not share enough scene to align them */
  minInliers: number;
  /** the strip both inputs see, at least this many pixels each way, or neither blending nor the drift check has pixels to work with */
  minOverlapSide: number;
  /** how far an input may be scaled by the homography (each way, by the square root of its area): cameras of a pair see the scene at similar scales */
  maxScale: number;
  /** the smallest corner angle of the warped input, degrees: a sharper one is a homography that shears it */
  minCornerAngle: number;
}

export const DEFAULT_STITCH_LIMITS: Readonly<StitchLimits> = Object.freeze({
  minInput: Object.freeze({ width: 64, height: 64 }),
  maxInput: Object.freeze({ width: 3840, height: 2160 }),
  maxOutputSide: 7680,
  maxOutputPixels: 2 * 3840 * 2160,
  maxOutputToInputs: 3,
  minInliers: 30,
  minOverlapSide: 16,
  maxScale: 2.5,
  minCornerAngle: 40,
});
