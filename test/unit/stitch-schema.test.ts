/**
 * stitchCalibrationSchema: a calibration read back from Redis is hostile. Each refusal names the field, and a record
 * cannot announce a panorama its homography does not make.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseStitchCalibration, stitchCalibrationSchema, StitchCalibrationError, type StitchCalibration } from '@vigil/stitch';
import { translation } from '../../libs/stitch/src/geometry';
import { layOut } from '../../libs/stitch/src/layout';
import { DEFAULT_STITCH_LIMITS } from '../../libs/stitch/src/limits';

const HD = { width: 1280, height: 720 };

/** A record as calibration makes it, from a homography between the inputs. */
function record(toFirst: number[], inputs: [typeof HD, typeof HD] = [HD, HD]): StitchCalibration {
  const outcome = layOut(toFirst, inputs, DEFAULT_STITCH_LIMITS);
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.reason);
  const { homography, offset, output, overlap } = outcome.layout;
  return { version: 1, method: 'akaze', inputs, homography, offset, output, overlap, matches: 400, inliers: 350, at: 1_790_000_000_000 };
}

const good = record([0.81, 0.001, 958.4, -0.03, 0.89, 39.6, -0.0001, 0, 1]);

function refused(value: unknown): string {
  assert.throws(() => parseStitchCalibration(value), StitchCalibrationError);
  try {
    parseStitchCalibration(value);
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}

describe('stitchCalibrationSchema', () => {
  test('takes what calibration makes, also after a trip through JSON', () => {
    assert.deepEqual(parseStitchCalibration(good), good);
    assert.deepEqual(parseStitchCalibration(JSON.parse(JSON.stringify(good))), good);
    assert.ok(stitchCalibrationSchema.safeParse(record(translation(-960, -40))).success);
  });

  test('refuses non-finite and absurd numbers, naming the field', () => {
    const h = (i: number, v: unknown): unknown => ({ ...good, homography: good.homography.map((x, j) => (j === i ? v : x)) });
    assert.match(refused(h(3, NaN)), /homography\[3\]: Expected number, received nan/);
    assert.match(refused(h(0, Infinity)), /homography\[0\]: Number must be finite/);
    assert.match(refused(h(2, 1e12)), /homography\[2\]: Number must be less than or equal to 10000000/);
    assert.match(refused(h(2, '958')), /homography\[2\]: Expected number, received string/);
    assert.match(refused({ ...good, homography: [...good.homography, 1] }), /homography: Array must contain exactly 9/);
    assert.match(refused({ ...good, output: { width: 1e12, height: 720 } }), /output\.width: Number must be less than or equal to 7680/);
    assert.match(refused({ ...good, inputs: [{ width: 1e12, height: 1e12 }, HD] }), /inputs\[0\]\.width: Number must be less than or equal to 3840.*inputs\[0\]\.height/);
    assert.match(refused({ ...good, inputs: [{ width: 0, height: 720 }, HD] }), /inputs\[0\]\.width: Number must be greater than or equal to 64/);
    assert.match(refused({ ...good, offset: { x: -5, y: 0 } }), /offset\.x: Number must be greater than or equal to 0/);
    assert.match(refused({ ...good, overlap: { ...good.overlap, width: 0.5 } }), /overlap\.width: Expected integer/);
    assert.match(refused({ ...good, matches: 1e9 }), /matches: Number must be less than or equal to 1000000/);
    assert.match(refused({ ...good, at: -1 }), /at: Number must be greater than or equal to 0/);
    assert.match(refused({ ...good, method: 'sift' }), /method: Invalid enum value/);
    assert.match(refused({ ...good, version: 2 }), /version: Invalid literal value, expected 1/);
    assert.match(refused(undefined), /\(root\): Required/);
    assert.match(refused([good]), /\(root\): Expected object, received array/);
  });

  test('refuses a record whose parts do not fit together', () => {
    assert.match(refused({ ...good, inliers: 500, matches: 400 }), /inliers: 500 inliers of 400 matches/);
    assert.match(refused({ ...good, overlap: { ...good.overlap, x: good.output.width - 10 } }), new RegExp(`overlap: ${good.overlap.width}x${good.overlap.height} at \\(${good.output.width - 10}, ${good.overlap.y}\\) is not inside the ${good.output.width}x${good.output.height} output`));
    assert.match(refused({ ...good, offset: { x: 1500, y: 0 } }), /offset: input 0 at \(1500, 0\) does not fit the/);
    assert.match(refused({ ...good, offset: { x: 5, y: 0 } }), /offset: \(5, 0\) is not where the homography places input 0/);
    assert.match(refused({ ...good, output: { width: 4000, height: good.output.height } }), new RegExp(`output: 4000x${good.output.height} is not the panorama the homography makes \\(${good.output.width}x${good.output.height}\\)`));
    assert.match(refused({ ...good, overlap: { ...good.overlap, x: good.overlap.x - 100 } }), /overlap: .* is not where the homography makes the inputs overlap/);
  });

  test('refuses homographies that make no panorama: absurd sizes, flips, the horizon, no overlap', () => {
    // in bounds as numbers, each laid out again and refused for what it does
    assert.match(refused({ ...good, homography: [50, 0, 900, 0, 50, 0, 0, 0, 1] }), /homography: the homography is degenerate: it scales input 1 by 50.00/);
    assert.match(refused({ ...good, homography: [-1, 0, 2237, 0, 1, 0, 0, 0, 1] }), /homography: the homography is degenerate: it flips input 1/);
    assert.match(refused({ ...good, homography: [1, 0, 0, 0, 1, 0, -0.01, 0, 1] }), /homography: the homography is degenerate: it takes part of input 1 past the horizon/);
    assert.match(refused({ ...good, homography: translation(2000, 0) }), /homography: not enough overlap: once aligned, the inputs do not overlap/);
    const small = { width: 64, height: 64 };
    assert.match(
      refused({ ...good, inputs: [small, small], offset: { x: 0, y: 0 }, output: { width: 7000, height: 64 } }),
      /output: the panorama would be 7000x64, more than 3 times the inputs' total \(384x384\)/,
    );
  });

  test('the message starts by saying what was refused', () => {
    assert.match(refused({ ...good, output: { width: 1e12, height: 1e12 } }), /^the stitch calibration is refused: output\.width: .*; output\.height: /);
  });
});
