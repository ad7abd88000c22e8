/**
 * `@vigil/stitch`: two overlapping cameras -> one panorama.
 *
 * ```ts
 * const outcome = await Panorama.calibrate(jpegOfCameraA, jpegOfCameraB);   // once, when both are live
 * if (!outcome.ok) return setState('error', outcome.reason);                 // e.g. "not enough overlap: 7 inlier matches, need 30"
 * await store(outcome.calibration);                                           // plain JSON; a restart loads it again
 * const panorama = await Panorama.load(await read());                        // hostile record: checked, or StitchCalibrationError
 * const frame = await panorama.render(jpegA, jpegB);                          // { jpeg, width, height, agreement? }
 * if (frame.agreement !== undefined && frame.agreement < DRIFT_AGREEMENT_FLOOR) countLow(); // recalibrate when it stays low
 * panorama.release();                                                         // when the stitch is deleted or recalibrated
 * ```
 *
 * - `Panorama.calibrate(first, second, { method? })` never throws: AKAZE (default) or ORB features, a Hamming knn
 *   match with a ratio test, a RANSAC homography taking input 1 into input 0's frame, then the layout. It refuses
 *   (`{ ok: false, reason }`) bytes that are not a JPEG or decode badly, inputs outside `DEFAULT_STITCH_LIMITS`
 *   (64x64 .. 3840x2160, read from the header before decoding), too few matches or inliers (30: "not enough
 *   overlap: ..."), and homographies no two cameras of one scene make ("the homography is degenerate: ...": flipped,
 *   past the horizon, skewed, scaled over 2.5x, or a panorama over 3x the inputs' total size, 7680 px a side or
 *   2 x 4K pixels). Takes about 0.5-1 s (wall, on 2 cores) for two 720p frames.
 * - `Panorama.load(calibration, { jpegQuality?, agreementEvery? })` checks the record with `stitchCalibrationSchema`
 *   (every number bounded, the layout recomputed from the homography and compared) and precomputes the per-frame
 *   plan. Throws `StitchCalibrationError` with the bad fields named.
 * - `panorama.render(first, second)`: input 0 copied, input 1 warped into its bounding box, the overlap strip
 *   feathered, JPEG-encoded; all on libuv's thread pool (`UV_THREADPOOL_SIZE`). Safe to call again before the last
 *   call resolved. Throws `StitchSizeChangedError` (a `StitchInputError` with problem 'size-changed') when an input's
 *   frame is not the size it was calibrated for: calibrate again; `StitchInputError` for a frame that is not a
 *   decodable JPEG: drop that pair. `agreement` (0..1) is measured on the first frame and every `agreementEvery`
 *   (10) after it, and left out where the overlap is too flat to tell.
 */
export * from './types';
export { Panorama, type PanoramaOptions } from './panorama';
export { type CalibrateOptions } from './calibrate';
export { DEFAULT_FEATURE_METHOD } from './features';
export { DRIFT_AGREEMENT_FLOOR, DEFAULT_AGREEMENT_EVERY } from './agreement';
export { DEFAULT_STITCH_LIMITS, type StitchLimits } from './limits';
export { stitchCalibrationSchema, parseStitchCalibration } from './schema';
export { StitchCalibrationError, StitchInputError, StitchSizeChangedError, type StitchInputProblem } from './errors';
