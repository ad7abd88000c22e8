import { z } from 'zod';
import { cameraDetectSchema } from './detection';
import { cameraEgressFieldsSchema, cameraEgressSchema } from './egress';
import { classifySource, SourceError, stitchInputsOf } from './source';
import { ENV_NAMES, inputLimits, withinLength, withinMax } from './limits';
import { stitchStatusSchema } from './stitch';
import { CAMERA_ID_PATTERN } from './camera-id';

export { CAMERA_ID_PATTERN } from './camera-id';

/** A camera's fields, each checked on its own; cameraConfigSchema adds the checks across fields. */
const cameraFieldsSchema = z
  .object({
    id: z.string().regex(CAMERA_ID_PATTERN, 'must be 1-64 letters, digits, "-" or "_", starting with a letter or digit'),
    name: z.string().min(1).max(200).optional(),
    url: z.string().min(1).superRefine(withinLength('urlLength')).superRefine((url, ctx) => {
      try {
        classifySource(url);
      } catch (error) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: error instanceof SourceError ? error.message : String(error) });
      }
    }),
    enabled: z.boolean().default(true),
    /** video codec of the source; `auto` probes it */
    codec: z.enum(['auto', 'h264', 'h265']).default('auto'),
    /** `auto` uses NVDEC when the machine has it; `cpu` forces software decoding */
    decoder: z.enum(['auto', 'cpu', 'gpu']).default('auto'),
    /** RTSP lower transport; TCP survives NAT and packet loss better than UDP */
    transport: z.enum(['tcp', 'udp']).default('tcp'),
    /** file sources: pace to the clip's own frame rate (true) or read as fast as possible (false) */
    realtime: z.boolean().default(true),
    /** frame-rate cap; frames beyond it are dropped before JPEG encoding */
    fps: z.number().positive().superRefine(withinMax('fps')).optional(),
    /** output size; one of the two keeps the aspect ratio */
    width: z.number().int().min(16).superRefine(withinMax('width')).optional(),
    height: z.number().int().min(16).superRefine(withinMax('height')).optional(),
    jpegQuality: z.number().int().min(1).max(100).default(80),
    /** object detection and rules; absent means no inference for this camera */
    detect: cameraDetectSchema.optional(),
    /** re-encode and push this camera's frames to an RTMP/RTSP server; absent means no push */
    egress: cameraEgressSchema.optional(),
    /** an input POST /api/stitch made for a URL source: it belongs to that panorama and goes with it */
    partOf: z.string().regex(CAMERA_ID_PATTERN, 'must be a camera id').optional(),
  })
  .strict();

/** One camera as configured (config file, REST body, registry entry). Unknown keys are rejected. */
export const cameraConfigSchema = cameraFieldsSchema.superRefine((camera, ctx) => {
  stitchProblems(camera, ctx);
  const rate = pixelRate(camera);
  const max = inputLimits().megapixelsPerSecond;
  if (rate !== undefined && rate / 1e6 > max) {
    const message = `${camera.width ?? '?'}x${camera.height ?? '?'} at ${camera.fps ?? '?'} fps is ${(rate / 1e6).toFixed(0)} megapixels per second; at most ${max.toFixed(0)} (${ENV_NAMES.megapixelsPerSecond})`;
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['fps'], message });
  }
});

/** What one record can say is wrong with a panorama; its inputs' records are checked where the registry is read. */
function stitchProblems(camera: { id: string; url: string; partOf?: string }, ctx: z.RefinementCtx): void {
  let inputs: [string, string] | undefined;
  try {
    inputs = stitchInputsOf(camera);
  } catch {
    return; // the url field has said why
  }
  if (inputs?.includes(camera.id)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['url'], message: `a panorama cannot be its own input ("${camera.id}")` });
  if (camera.partOf !== undefined && (inputs || camera.partOf === camera.id)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['partOf'], message: 'only an input camera belongs to a panorama' });
  }
}

/** Pixels per second a camera asks for, where that is known: a test pattern fills in its defaults (1280x720 at 25). */
function pixelRate(camera: { url: string; fps?: number; width?: number; height?: number }): number | undefined {
  const synthetic = /^test:\/\//i.test(camera.url.trim());
  const fps = camera.fps ?? (synthetic ? 25 : undefined);
  const width = camera.width ?? (synthetic ? (camera.height ? (camera.height * 16) / 9 : 1280) : undefined);
  const height = camera.height ?? (synthetic ? (camera.width ? (camera.width * 9) / 16 : 720) : undefined);
  return fps === undefined || width === undefined || height === undefined ? undefined : width * height * fps;
}

export type CameraConfig = z.output<typeof cameraConfigSchema>;
export type CameraInput = z.input<typeof cameraConfigSchema>;

export const CAMERA_STATES = ['connecting', 'live', 'stalled', 'offline', 'error'] as const;
export type CameraState = (typeof CAMERA_STATES)[number];

/** Live status of one camera, written by the ingest instance that owns it. */
export interface CameraStatus {
  id: string;
  state: CameraState;
  /** why the camera is not live (masked: no credentials) */
  reason?: string;
  /** the decoder element in use, e.g. `avdec_h264` or `nvh264dec` */
  decoder?: string;
  /** the GStreamer pipeline in use (masked) */
  pipeline?: string;
  width?: number;
  height?: number;
  /** frames published since the capture started */
  frames: number;
  /** frames per second over the last few seconds */
  fps: number;
  reconnects: number;
  lastFrameAt?: number;
  /** epoch ms of the last state change */
  since: number;
  /** ingest instance that owns the camera */
  owner?: string;
  updatedAt: number;
}

/** What inference reports per camera (cameras with a `detect` section). */
export interface InferenceStatus {
  camera: string;
  /** the inference replica (INSTANCE_ID) that runs this camera's detection */
  owner: string;
  /** frames the detector looked at */
  inferred: number;
  /** frames overwritten in the latest-frame slot before the detector got to them */
  skipped: number;
  /** frames the motion gate spared the model (still scene) */
  gated: number;
  violations: number;
  lastInferenceMs?: number;
  lastDetections?: number;
  /** `motion` or the model's name; null when the camera wants a model and none is loaded */
  detector: string | null;
  /** why detection cannot run for this camera */
  problem?: string;
  updatedAt: number;
}

const count = z.number().int().nonnegative().finite();
const epochMs = z.number().nonnegative().finite();
const text = (max: number) => z.string().max(max);

/** A status record read back from Redis is checked like any input: anything there may have been written by anyone. */
export const cameraStatusSchema: z.ZodType<CameraStatus> = z
  .object({
    id: z.string().regex(CAMERA_ID_PATTERN),
    state: z.enum(CAMERA_STATES),
    reason: text(2000).optional(),
    decoder: text(100).optional(),
    pipeline: text(20_000).optional(),
    width: count.optional(),
    height: count.optional(),
    frames: count,
    fps: z.number().nonnegative().finite(),
    reconnects: count,
    lastFrameAt: epochMs.optional(),
    since: epochMs,
    owner: text(200).optional(),
    updatedAt: epochMs,
  })
  .strict();

export const inferenceStatusSchema: z.ZodType<InferenceStatus> = z
  .object({
    camera: z.string().regex(CAMERA_ID_PATTERN),
    owner: text(200),
    inferred: count,
    skipped: count,
    gated: count,
    violations: count,
    lastInferenceMs: z.number().nonnegative().finite().optional(),
    lastDetections: count.optional(),
    detector: text(200).nullable(),
    problem: text(2000).optional(),
    updatedAt: epochMs,
  })
  .strict();

/** A camera as the API shows it: its config (URLs masked), its capture status and its inference status. */
export const cameraViewSchema = cameraFieldsSchema.extend({
  // masked, so no longer a source the policy would take: a shape, not a check
  url: z.string().min(1).describe('the source, credentials masked'),
  egress: cameraEgressFieldsSchema.extend({ url: z.string().min(1).describe('the target, credentials masked') }).optional(),
  status: cameraStatusSchema.nullable().describe('capture status, written by the ingest instance that owns the camera; null before its first report'),
  inference: inferenceStatusSchema.nullable().describe('inference status, for cameras with a `detect` section; null otherwise or before its first report'),
  stitch: stitchStatusSchema.nullable().describe('for a panorama (url stitch://left,right): its stitch state, written by the stitch replica that makes it; null for other cameras or before its first report'),
});
export type CameraView = z.infer<typeof cameraViewSchema>;
