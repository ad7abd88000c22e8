/**
 * A stored calibration is hostile input (Redis can hold anything): every number is bounded, and the layout is
 * worked out again from the homography with the rules calibration applies, so a record cannot announce a panorama
 * its homography does not make (or one of 1e12 pixels, or a strip outside the output).
 */
import { z } from 'zod';
import { describeIssues } from '@vigil/config';
import { StitchCalibrationError } from './errors';
import { multiply, rectInside, translation } from './geometry';
import { layOut, outputProblem } from './layout';
import { DEFAULT_STITCH_LIMITS } from './limits';
import { FEATURE_METHODS, type Rect, type StitchCalibration } from './types';

const limits = DEFAULT_STITCH_LIMITS;
/** stored pixel positions may be off by this much from the recomputed ones (a float's round trip through JSON) */
const TOLERANCE = 1;

const side = (min: number, max: number) => z.number().int().min(min).max(max);
const inputSize = z.object({
  width: side(limits.minInput.width, limits.maxInput.width),
  height: side(limits.minInput.height, limits.maxInput.height),
});
const position = side(0, limits.maxOutputSide);
const outputSide = side(1, limits.maxOutputSide);
const count = z.number().int().min(0).max(1_000_000);

const fields = z.object({
  version: z.literal(1),
  method: z.enum(FEATURE_METHODS),
  inputs: z.tuple([inputSize, inputSize]),
  // a sane homography for these sizes has entries far below this; NaN and Infinity fail z.number() already
  homography: z.array(z.number().finite().min(-1e7).max(1e7)).length(9),
  offset: z.object({ x: position, y: position }),
  output: z.object({ width: outputSide, height: outputSide }),
  overlap: z.object({ x: position, y: position, width: outputSide, height: outputSide }),
  matches: count,
  inliers: count,
  at: z.number().int().min(0).max(8.64e15),
});

export const stitchCalibrationSchema: z.ZodType<StitchCalibration, z.ZodTypeDef, unknown> = fields.superRefine((c, ctx) => {
  // zod runs refinements after non-fatal issues too (a homography of 8 entries): only a record whose every field
  // passed is laid out
  if (!fields.safeParse(c).success) return;
  const issue = (path: (string | number)[], message: string): void => ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
  if (c.inliers > c.matches) issue(['inliers'], `${c.inliers} inliers of ${c.matches} matches`);
  const outputRect: Rect = { x: 0, y: 0, ...c.output };
  const tooLarge = outputProblem(c.output, c.inputs, limits);
  if (tooLarge) return issue(['output'], tooLarge);
  if (!rectInside(c.overlap, outputRect)) return issue(['overlap'], `${describe(c.overlap)} is not inside the ${c.output.width}x${c.output.height} output`);
  if (!rectInside({ ...c.offset, ...c.inputs[0] }, outputRect)) return issue(['offset'], `input 0 at (${c.offset.x}, ${c.offset.y}) does not fit the ${c.output.width}x${c.output.height} output`);
  const placed = layOut(multiply(translation(-c.offset.x, -c.offset.y), c.homography), c.inputs, limits);
  if (!placed.ok) return issue(['homography'], placed.reason);
  const { layout } = placed;
  if (!near(layout.offset.x, c.offset.x) || !near(layout.offset.y, c.offset.y)) {
    issue(['offset'], `(${c.offset.x}, ${c.offset.y}) is not where the homography places input 0 (${layout.offset.x}, ${layout.offset.y})`);
  }
  if (!near(layout.output.width, c.output.width) || !near(layout.output.height, c.output.height)) {
    issue(['output'], `${c.output.width}x${c.output.height} is not the panorama the homography makes (${layout.output.width}x${layout.output.height})`);
  }
  const o = layout.overlap;
  if (!near(o.x, c.overlap.x) || !near(o.y, c.overlap.y) || !near(o.width, c.overlap.width) || !near(o.height, c.overlap.height)) {
    issue(['overlap'], `${describe(c.overlap)} is not where the homography makes the inputs overlap (${describe(o)})`);
  }
});

/** Checks a stored calibration; throws StitchCalibrationError naming each bad field. */
export function parseStitchCalibration(value: unknown): StitchCalibration {
  const parsed = stitchCalibrationSchema.safeParse(value);
  if (!parsed.success) throw new StitchCalibrationError(`the stitch calibration is refused: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

function near(a: number, b: number): boolean {
  return Math.abs(a - b) <= TOLERANCE;
}

function describe(r: Rect): string {
  return `${r.width}x${r.height} at (${r.x}, ${r.y})`;
}
