/**
 * Panoramas: a camera whose source is `stitch://left,right` is made by the stitch service from two other cameras'
 * frames and published on the frame bus like any camera. Here: what POST /api/stitch takes, the stitch status the
 * API shows, and the checks across cameras that one record cannot make. (The stored calibration's schema is the
 * stitching library's: libs/redis StitchCalibrations.)
 */
import { z } from 'zod';
import { CAMERA_ID_PATTERN } from './camera-id';
import { egressUrlProblem } from './egress';
import { withinLength } from './limits';
import { STITCH_SCHEME, stitchInputsOf } from './source';

/** A panorama's source URL. */
export function stitchUrl(inputs: readonly [string, string]): string {
  return `${STITCH_SCHEME}${inputs[0]},${inputs[1]}`;
}

/** The ids POST /api/stitch gives the input cameras it makes for URL sources. */
export const STITCH_INPUT_SUFFIXES = ['-left', '-right'] as const;

const cameraId = z.string().regex(CAMERA_ID_PATTERN, 'must be 1-64 letters, digits, "-" or "_", starting with a letter or digit');
const idMessage = 'must be 1-64 letters, digits, "-" or "_", starting with a letter or digit';

/**
 * POST /api/stitch: `sources` are two camera ids or two URLs (or one of each), left first. A URL becomes an input
 * camera `<id>-left` / `<id>-right` that belongs to the panorama (`partOf`) and is deleted with it.
 */
export const stitchRequestSchema = z
  .object({
    id: z.string().max(64, idMessage).regex(CAMERA_ID_PATTERN, idMessage),
    name: z.string().min(1).max(200).optional(),
    sources: z
      .array(z.string().min(1).superRefine(withinLength('urlLength')), { invalid_type_error: 'must be a list of two camera ids or URLs' })
      .length(2, 'a panorama has exactly two sources: [left, right]'),
    output: z
      .object({
        /** rtmp://, rtmps:// or rtsp://: the panorama is pushed there through egress (its raw stream) */
        url: z.string().min(1).superRefine(withinLength('urlLength')).superRefine((url, ctx) => {
          const problem = egressUrlProblem(url);
          if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
        }),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((request, ctx) => {
    const [left, right] = request.sources;
    if (left !== undefined && left === right) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['sources'], message: 'the two sources must differ' });
    if (request.sources.includes(request.id)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['sources'], message: `a panorama cannot be its own source ("${request.id}")` });
  });
export type StitchRequest = z.output<typeof stitchRequestSchema>;

/** Whether a source of POST /api/stitch names a camera (its id) rather than a URL to capture. */
export function isCameraIdSource(source: string): boolean {
  return CAMERA_ID_PATTERN.test(source);
}

export const STITCH_STATES = ['calibrating', 'live', 'error'] as const;
/**
 * `calibrating`: waiting for both inputs' frames, or matching features between them; `live`: panorama frames are
 * published; `error`: none can be, with the reason (an input sends no frames, not enough overlap, ...).
 */
export type StitchState = (typeof STITCH_STATES)[number];

const count = z.number().int().nonnegative().finite();
const epochMs = z.number().nonnegative().finite();
const size = z.object({ width: count, height: count }).strict();

/** What a panorama's status says of its calibration (the homography itself stays in the stored record). */
export const calibrationSummarySchema = z
  .object({
    method: z.enum(['orb', 'akaze']),
    output: size,
    overlap: z.object({ x: z.number().finite(), y: z.number().finite(), width: count, height: count }).strict(),
    matches: count,
    inliers: count,
    at: epochMs,
  })
  .strict();
export type CalibrationSummary = z.infer<typeof calibrationSummarySchema>;

/** One panorama's state, written by the stitch replica that makes it, read by publish (GET /api/cameras/:id). */
export const stitchStatusSchema = z
  .object({
    camera: z.string().regex(CAMERA_ID_PATTERN),
    state: z.enum(STITCH_STATES),
    reason: z.string().max(2000).optional().describe('why it is not live, or what it waits for'),
    inputs: z.tuple([z.string().regex(CAMERA_ID_PATTERN), z.string().regex(CAMERA_ID_PATTERN)]).describe('left and right input cameras'),
    owner: z.string().max(200).describe('the stitch replica (INSTANCE_ID) that makes it'),
    pairs: count.describe('frame pairs made: one frame of each input within the pairing tolerance'),
    missed: z.tuple([count, count]).describe('frames of each input that found no partner within the tolerance'),
    skipped: count.describe('pairs left unrendered: a newer one came while a render ran (latest wins), or a frame of it was no usable JPEG'),
    published: count.describe('panorama frames published'),
    calibrations: count.describe('calibrations run by this replica'),
    calibration: calibrationSummarySchema.optional().describe('the calibration in use'),
    agreement: z.number().min(0).max(1).optional().describe('how well the inputs agree in the overlap on the last measured frame, 0 to 1'),
    fps: z.number().nonnegative().finite(),
    width: count.optional(),
    height: count.optional(),
    since: epochMs.describe('epoch ms of the last state change'),
    updatedAt: epochMs,
  })
  .strict();
export type StitchStatus = z.infer<typeof stitchStatusSchema>;

/** The parts of a camera record the checks across cameras read. */
interface Linked {
  id: string;
  url: string;
  partOf?: string;
}

/**
 * Why `camera` cannot stand in the registry beside `others` (the other cameras, by id), or undefined: a panorama's
 * inputs must be cameras there (unless `missingInputs` is 'allow': a cameras file may name cameras the API made)
 * that are not panoramas themselves, and a camera some panorama takes as input cannot become a panorama. So no
 * panorama is ever made of panoramas, and no cycle can form.
 */
export function stitchConflict(camera: Linked, others: ReadonlyMap<string, Linked>, missingInputs: 'refuse' | 'allow' = 'refuse'): string | undefined {
  const inputs = stitchInputsOf(camera);
  if (inputs) {
    for (const input of inputs) {
      const other = others.get(input);
      if (!other) {
        if (missingInputs === 'refuse') return `url: input "${input}" is not a camera`;
        continue;
      }
      if (stitchInputsOf(other)) return `url: input "${input}" is a panorama itself (a panorama is made of two captured cameras)`;
      if (other.partOf !== undefined && other.partOf !== camera.id) return `url: input "${input}" belongs to panorama "${other.partOf}"`;
    }
    const user = [...others.values()].find((other) => other.id !== camera.id && stitchInputsOf(other)?.includes(camera.id));
    if (user) return `url: "${camera.id}" is an input of panorama "${user.id}", so it cannot be a panorama itself`;
  }
  return undefined;
}

/** The panoramas that take `id` as an input. */
export function panoramasUsing(id: string, cameras: Iterable<Linked>): string[] {
  const users: string[] = [];
  for (const camera of cameras) if (stitchInputsOf(camera)?.includes(id)) users.push(camera.id);
  return users;
}
