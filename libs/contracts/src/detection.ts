import { z } from 'zod';
import { withinCount } from './limits';

const unit = z.number().min(0).max(1);

/** a detector keeps at most 300 boxes per frame (NMS) and motion far fewer */
export const MAX_DETECTIONS = 1000;

/** One detected object. Coordinates are normalised to the frame (0..1), so any client can draw them at any size. */
export const detectionSchema = z.object({
  label: z.string().min(1).max(128).describe('class name, e.g. `person`, `helmet`, `no_helmet`, `motion`'),
  classId: z.number().int().min(0).max(1_000_000),
  score: unit,
  box: z.tuple([unit, unit, unit, unit]).describe('[x1, y1, x2, y2], normalised to the frame'),
});
export type Detection = z.infer<typeof detectionSchema>;

/** What inference says about one frame: published on `channels.detections(camera)`, forwarded to Socket.IO. */
export interface DetectionsEvent {
  camera: string;
  /** seq and capture time of the frame this is about */
  seq: number;
  ts: number;
  width: number;
  height: number;
  detections: Detection[];
  /** which detector produced them: `motion` or the model's name */
  detector: string;
  /** time spent in the detector for this frame (the batch's run time divided over its frames), ms */
  inferenceMs: number;
}

/** A rule that held for its minimum number of consecutive frames; consumed by alarms. */
export interface ViolationEvent {
  camera: string;
  /** rule id from the camera's config */
  rule: string;
  kind: RuleKind;
  /** classes involved, e.g. ['person'] for intrusion, ['person', 'no_helmet'] for PPE */
  classes: string[];
  /** best score among the offending detections */
  score: number;
  /** the offending boxes (normalised) */
  detections: Detection[];
  seq: number;
  ts: number;
  /** consecutive frames the rule has held */
  frames: number;
}

const point = z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]);

export const zoneSchema = z
  .object({
    id: z.string().min(1).max(64),
    /** polygon in normalised coordinates, at least a triangle */
    polygon: z.array(point).min(3).superRefine(withinCount('zonePoints')),
  })
  .strict();

export const RULE_KINDS = ['ppe', 'intrusion'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

export const ruleSchema = z.discriminatedUnion('kind', [
  z
    .object({
      id: z.string().min(1).max(64),
      kind: z.literal('ppe'),
      /** equipment a person must wear: a class name such as `helmet` or `harness` */
      require: z.string().min(1).max(100),
      /** the class a model outputs for the missing equipment directly (default `no_<require>`) */
      missingClass: z.string().min(1).max(100).optional(),
      /** person class (default `person`) */
      person: z.string().min(1).max(100).default('person'),
      /** only people inside this zone count */
      zone: z.string().max(64).optional(),
    })
    .strict(),
  z
    .object({
      id: z.string().min(1).max(64),
      kind: z.literal('intrusion'),
      /** classes that must not be inside the zone, e.g. ['person'] or ['motion'] */
      classes: z.array(z.string().min(1).max(100)).min(1).superRefine(withinCount('ruleClasses')),
      zone: z.string().max(64),
    })
    .strict(),
]);
export type RuleConfig = z.output<typeof ruleSchema>;

/** Detection parameters that a model sets as defaults and a camera may override. */
export const detectionParamsSchema = z
  .object({
    /** minimum score per class; `*` for the rest */
    minConfidence: z.record(z.string().max(100), z.number().min(0).max(1)).superRefine(withinCount('ruleClasses')).optional(),
    /** consecutive frames a rule must hold before it is a violation */
    minFrames: z.number().int().min(1).max(1000).optional(),
    /** IoU above which NMS suppresses a box of the same class */
    iou: z.number().min(0).max(1).optional(),
  })
  .strict();
export type DetectionParams = z.output<typeof detectionParamsSchema>;

/** A camera's `detect` section. */
export const cameraDetectSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** `model`: the ONNX model (gated by motion unless motionGate is false); `motion`: motion boxes only */
    detector: z.enum(['model', 'motion']).default('model'),
    motionGate: z.boolean().default(true),
    zones: z.array(zoneSchema).superRefine(withinCount('zones')).default([]),
    rules: z.array(ruleSchema).superRefine(withinCount('rules')).default([]),
  })
  .merge(detectionParamsSchema)
  .strict()
  .superRefine((detect, ctx) => {
    const zones = new Set(detect.zones.map((zone) => zone.id));
    detect.rules.forEach((rule, index) => {
      if (rule.zone !== undefined && !zones.has(rule.zone)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['rules', index, 'zone'], message: `unknown zone "${rule.zone}"` });
      }
    });
  });
export type CameraDetectConfig = z.output<typeof cameraDetectSchema>;

/** The ONNX model (top-level `model` in the cameras file; MODEL_PATH and MODEL_LABELS override). */
export const modelConfigSchema = z
  .object({
    path: z.string().min(1),
    /** class names: a file with one per line, or a JSON/YAML list or {id: name} map; else the model's metadata */
    labels: z.string().min(1).optional(),
    /** execution provider: `auto` tries CUDA, then CPU */
    provider: z.enum(['auto', 'cuda', 'cpu']).default('auto'),
    /** frames per batch when the model accepts a batch dimension */
    batch: z.number().int().min(1).max(64).default(4),
    /** how long a partial batch waits for more frames before it runs, ms */
    batchWaitMs: z.number().min(0).max(1000).default(10),
  })
  .merge(detectionParamsSchema)
  .strict();
export type ModelConfig = z.output<typeof modelConfigSchema>;
