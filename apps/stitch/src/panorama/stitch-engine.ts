import type { CalibrationOutcome, RenderedPanorama, StitchCalibration } from '@vigil/stitch';

/** Makes one panorama's frames from one calibration: a precomputed remap of each input and a blend of the overlap. */
export interface PanoramaRenderer {
  /** Both inputs' JPEGs (left, right) to the panorama's JPEG; runs off the event loop. Rejects with UnusablePairError for a frame it cannot use. */
  render(left: Buffer, right: Buffer): Promise<RenderedPanorama>;
  /** Frees what the renderer holds (its maps). */
  close(): void;
}

export interface RenderOptions {
  /** JPEG quality of the panorama frames (the camera's jpegQuality) */
  jpegQuality: number;
}

/**
 * What the stitch service needs of the stitching library (libs/stitch), behind one interface of ours: calibrating
 * a pair (features, matching, RANSAC), making a renderer for a calibration, and the agreement below which the
 * overlap counts as drifted. Unit tests pass a fake.
 */
export interface StitchEngine {
  /** Finds the homography between two frames (JPEGs, left then right); `ok: false` with a reason such as too little overlap. */
  calibrate(left: Buffer, right: Buffer): Promise<CalibrationOutcome>;
  /** A renderer for this calibration (its maps worked out once); rejects if it cannot be rendered (a record that made no sense). */
  renderer(calibration: StitchCalibration, options: RenderOptions): Promise<PanoramaRenderer>;
  /** a rendered frame's `agreement` below this counts toward drift */
  readonly driftFloor: number;
}

/** A render refused one frame of its pair (not a decodable JPEG): that pair is dropped, the panorama goes on. */
export class UnusablePairError extends Error {
  override name = 'UnusablePairError';
}

/** Nest's injection token of the StitchEngine. */
export const STITCH_ENGINE = Symbol('STITCH_ENGINE');
