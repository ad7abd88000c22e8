/**
 * Schemas of the JSON events on the bus (detections, alarm events), checked by whoever reads them there: anyone
 * who can publish on Redis can put anything on a channel, and a client must never receive it. Each array and string
 * has a bound, so a valid event stays small (see MAX_EVENT_BYTES).
 */
import { z } from 'zod';
import { ALARM_ID_PATTERN, ALARM_PHASES, type AlarmEvent } from './alarm';
import { CAMERA_ID_PATTERN } from './camera';
import { RULE_KINDS, type Detection, type DetectionsEvent, type ViolationEvent } from './detection';

/** a detector keeps at most 300 boxes per frame (NMS) and motion far fewer */
export const MAX_DETECTIONS = 1000;

const unit = z.number().min(0).max(1);
const label = z.string().min(1).max(128);
const cameraId = z.string().regex(CAMERA_ID_PATTERN);
const time = z.number().finite().nonnegative();

const detectionSchema: z.ZodType<Detection> = z.object({
  label,
  classId: z.number().int().min(0).max(1_000_000),
  score: unit,
  box: z.tuple([unit, unit, unit, unit]),
});

export const detectionsEventSchema: z.ZodType<DetectionsEvent> = z.object({
  camera: cameraId,
  seq: z.number().int().nonnegative(),
  ts: time,
  width: z.number().int().min(1).max(0xffff),
  height: z.number().int().min(1).max(0xffff),
  detections: z.array(detectionSchema).max(MAX_DETECTIONS),
  detector: label,
  inferenceMs: time,
});

/** an entry of the violations stream, as the alarms service reads it */
export const violationEventSchema: z.ZodType<ViolationEvent> = z.object({
  camera: cameraId,
  rule: z.string().min(1).max(64),
  kind: z.enum(RULE_KINDS),
  classes: z.array(label).max(256),
  score: unit,
  detections: z.array(detectionSchema).max(MAX_DETECTIONS),
  seq: z.number().int().nonnegative(),
  ts: time,
  frames: z.number().int().min(1),
});

const alarmClipSchema = z.object({
  state: z.enum(['recording', 'encoding', 'ready', 'failed', 'deleted']),
  from: time.optional(),
  to: time.optional(),
  frames: z.number().int().nonnegative().optional(),
  bytes: z.number().int().nonnegative().optional(),
  encoder: label.optional(),
  error: z.string().max(2000).optional(),
});

export const alarmEventSchema: z.ZodType<AlarmEvent> = z.object({
  type: z.enum(ALARM_PHASES),
  alarm: z.object({
    id: z.string().regex(ALARM_ID_PATTERN),
    camera: cameraId,
    rule: z.string().min(1).max(64),
    kind: z.enum(RULE_KINDS),
    classes: z.array(label).max(256),
    score: unit,
    startedAt: time,
    lastSeenAt: time,
    endedAt: time.nullable(),
    state: z.enum(['active', 'ended']),
    violations: z.number().int().nonnegative(),
    detections: z.array(detectionSchema).max(MAX_DETECTIONS),
    seq: z.number().int().nonnegative(),
    snapshot: z.boolean(),
    clip: alarmClipSchema,
  }),
});
