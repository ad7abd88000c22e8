/**
 * Alarms: what the alarms service makes of violations (one alarm per camera + rule + episode), as stored, served by
 * the API, pushed to Socket.IO clients and summarised for webhooks.
 */
import { z } from 'zod';
import { CAMERA_ID_PATTERN } from './camera';
import { detectionSchema, MAX_DETECTIONS, RULE_KINDS } from './detection';

/** `start` when an episode begins, `update` when its best score or classes change, `end` when it is over. */
export const ALARM_PHASES = ['start', 'update', 'end'] as const;
export type AlarmPhase = (typeof ALARM_PHASES)[number];

export const ALARM_STATES = ['active', 'ended'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];

/**
 * A clip is recorded while the alarm lasts (plus `post` seconds), then encoded, then ready (or failed, with why);
 * retention deletes it in the end.
 */
export const CLIP_STATES = ['recording', 'encoding', 'ready', 'failed', 'deleted'] as const;
export type ClipState = (typeof CLIP_STATES)[number];

/**
 * Alarm ids: 9 base-36 digits of the start time (ms) then 10 hex digits of randomness, so they sort by time and
 * are safe as file names. Anything else is refused before it reaches a file path.
 */
export const ALARM_ID_PATTERN = /^[0-9a-z]{9}[0-9a-f]{10}$/;

const time = z.number().finite().nonnegative();
const count = z.number().int().nonnegative();
const label = z.string().min(1).max(128);

/**
 * Alarm records as stored, served by the API and carried by alarm events on the bus (where anyone who can publish
 * on Redis can put anything, so every array and string is bounded). Unknown keys are dropped, not refused: a newer
 * replica may add some.
 */
export const alarmClipSchema = z.object({
  state: z.enum(CLIP_STATES),
  from: time.optional().describe('capture time of the first frame in the clip, epoch ms (known once encoded)'),
  to: time.optional().describe('capture time of the last frame in the clip, epoch ms (known once encoded)'),
  frames: count.optional(),
  bytes: count.optional(),
  encoder: label.optional().describe("which encoder made it, e.g. 'x264' or 'nvenc'"),
  omitted: count.optional().describe('frames of the window left out to keep the camera within ALARM_CLIP_MEMORY_MB (the clip keeps its beginning)'),
  error: z.string().max(2000).optional(),
});
export type AlarmClip = z.infer<typeof alarmClipSchema>;

export const alarmRecordSchema = z.object({
  id: z.string().regex(ALARM_ID_PATTERN),
  camera: z.string().regex(CAMERA_ID_PATTERN),
  rule: z.string().min(1).max(64),
  kind: z.enum(RULE_KINDS),
  classes: z.array(label).max(256).describe('classes involved over the whole episode'),
  score: z.number().min(0).max(1).describe('best score seen during the episode'),
  startedAt: time.describe('capture time of the first violating frame, epoch ms'),
  lastSeenAt: time.describe('capture time of the last violating frame so far'),
  endedAt: time.nullable().describe('once ended: the capture time of its last violating frame (the end is declared a quiet time later); null while active'),
  state: z.enum(ALARM_STATES),
  violations: count.describe('violating frames counted in the episode'),
  detections: z.array(detectionSchema).max(MAX_DETECTIONS).describe('the boxes of the triggering frame (normalised), drawn on the snapshot'),
  seq: count.describe('frame sequence of the triggering frame'),
  snapshot: z.boolean(),
  clip: alarmClipSchema,
});
export type AlarmRecord = z.infer<typeof alarmRecordSchema>;

/**
 * What the alarms service keeps of a camera + rule across a restart (`keys.alarmsOpen`): its open alarm, and when
 * its last alarm ended (for the cooldown).
 */
export const alarmEpisodeSchema = z.object({
  camera: z.string().regex(CAMERA_ID_PATTERN),
  rule: z.string().min(1).max(64),
  open: alarmRecordSchema.optional(),
  lastEndedAt: time.optional(),
});
export type AlarmEpisode = z.infer<typeof alarmEpisodeSchema>;


/** Socket.IO `alarm` event and the pub/sub message behind it. */
export interface AlarmEvent {
  type: AlarmPhase;
  alarm: AlarmRecord;
}

export function isAlarmId(value: unknown): value is string {
  return typeof value === 'string' && ALARM_ID_PATTERN.test(value);
}

export function newAlarmId(startedAt: number, random: Buffer): string {
  if (random.length < 5) throw new RangeError('newAlarmId needs 5 random bytes');
  return Math.max(0, Math.floor(startedAt)).toString(36).padStart(9, '0').slice(-9) + random.subarray(0, 5).toString('hex');
}

/** Webhook event types (Standard Webhooks' `type` field). */
export const WEBHOOK_EVENT_TYPES = ['alarm.start', 'alarm.end'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The JSON body a webhook endpoint receives: small, no frames; links point at the publish API. */
export interface AlarmWebhookPayload {
  type: WebhookEventType;
  /** ISO time the event was created */
  timestamp: string;
  data: Pick<AlarmRecord, 'id' | 'camera' | 'rule' | 'kind' | 'classes' | 'score' | 'startedAt' | 'endedAt'> & {
    links: { alarm: string; clip: string; snapshot: string };
  };
}

/** A webhook delivery that failed its last try, as kept in `keys.webhookDeadLetters` (JSON, newest first). */
export const webhookDeadLetterSchema = z.object({
  messageId: z.string().max(256),
  alarmId: z.string().regex(ALARM_ID_PATTERN),
  eventType: z.enum(WEBHOOK_EVENT_TYPES),
  endpoint: z.object({ id: z.string().max(256), url: z.string().max(4096) }),
  /** the body as it was sent; shaped by us when written, so only its outline is checked on the way back */
  payload: z.custom<AlarmWebhookPayload>((value) => typeof value === 'object' && value !== null && 'type' in value && 'data' in value),
  attempts: count,
  lastError: z.string().max(10_000),
  lastStatus: z.number().int().nullable(),
  deadAt: time,
});
export type WebhookDeadLetter = z.infer<typeof webhookDeadLetterSchema>;
