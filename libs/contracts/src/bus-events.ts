/**
 * Schemas of the JSON events on the bus (detections, alarm events), checked by whoever reads them there: anyone
 * who can publish on Redis can put anything on a channel, and a client must never receive it. Each array and string
 * has a bound, so a valid event stays small (see MAX_EVENT_BYTES).
 */
import { z } from 'zod';
import { alarmRecordSchema, ALARM_PHASES, type AlarmEvent } from './alarm';
import { CAMERA_ID_PATTERN } from './camera';
import { detectionSchema, MAX_DETECTIONS, RULE_KINDS, type DetectionsEvent, type ViolationEvent } from './detection';

const unit = z.number().min(0).max(1);
const label = z.string().min(1).max(128);
const cameraId = z.string().regex(CAMERA_ID_PATTERN);
const time = z.number().finite().nonnegative();

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

export const alarmEventSchema: z.ZodType<AlarmEvent> = z.object({
  type: z.enum(ALARM_PHASES),
  alarm: alarmRecordSchema,
});
