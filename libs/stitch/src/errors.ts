/** What the stitching library throws, typed, so a caller can tell "drop this frame" from "recalibrate". */

/** Why an input frame cannot be used. */
export type StitchInputProblem = 'not-jpeg' | 'out-of-bounds' | 'undecodable' | 'size-changed';

/** One input's frame cannot be used; `input` is 0 (the first) or 1 (the second). */
export class StitchInputError extends Error {
  override name = 'StitchInputError';

  constructor(
    readonly input: 0 | 1,
    readonly problem: StitchInputProblem,
    message: string,
  ) {
    super(message);
  }
}

/**
 * An input's frames are no longer the size the calibration was made for (the camera's resolution changed): no frame
 * of it will render until the pair is calibrated again.
 */
export class StitchSizeChangedError extends StitchInputError {
  override name = 'StitchSizeChangedError';

  constructor(
    input: 0 | 1,
    readonly expected: { width: number; height: number },
    readonly actual: { width: number; height: number },
  ) {
    super(input, 'size-changed', `input ${input} is ${actual.width}x${actual.height}, the calibration was made for ${expected.width}x${expected.height}: calibrate again`);
  }
}

/** A calibration (typically read back from Redis) that cannot be used; the message names the fields. */
export class StitchCalibrationError extends Error {
  override name = 'StitchCalibrationError';
}
