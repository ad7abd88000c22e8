/**
 * The stitching library's public shapes, agreed before it is built: what calibration finds (and Redis stores), and
 * what the per-frame renderer returns. The stitch service (apps/stitch) depends on these only.
 */

export interface Size {
  width: number;
  height: number;
}

export interface Rect extends Size {
  x: number;
  y: number;
}

export const FEATURE_METHODS = ['orb', 'akaze'] as const;
export type FeatureMethod = (typeof FEATURE_METHODS)[number];

/**
 * One calibration of a pair: everything the per-frame remap needs, in plain numbers, so it can be stored (Redis) and
 * loaded after a restart without matching features again. Read back from Redis it is hostile input: it is checked
 * with stitchCalibrationSchema before use.
 */
export interface StitchCalibration {
  version: 1;
  method: FeatureMethod;
  /** the input sizes it was made for; frames of another size need a new calibration */
  inputs: [Size, Size];
  /** 3x3 row-major homography taking input 1 (the second) into the panorama; input 0 is placed by `offset` */
  homography: number[];
  /** where input 0's top-left corner lands in the panorama */
  offset: { x: number; y: number };
  output: Size;
  /** the strip where the two inputs overlap, in panorama coordinates: the only pixels that are blended */
  overlap: Rect;
  matches: number;
  inliers: number;
  /** epoch ms */
  at: number;
}

export type CalibrationOutcome = { ok: true; calibration: StitchCalibration } | { ok: false; reason: string };

export interface RenderedPanorama extends Size {
  jpeg: Buffer;
  /**
   * how well the two inputs agree in the overlap strip on this frame, 0 (not at all) to 1 (identical); absent on
   * frames where it was not measured. The service recalibrates when it stays low (drift).
   */
  agreement?: number;
}
