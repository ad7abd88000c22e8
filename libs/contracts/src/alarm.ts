/**
 * Alarms: what the alarms service makes of violations (one alarm per camera + rule + episode), as stored, served by
 * the API, pushed to Socket.IO clients and summarised for webhooks.
 */
import type { Detection, RuleKind } from './detection';

/** `start` when an episode begins, `update` when its best score or classes change, `end` when it is over. */
export const ALARM_PHASES = ['start', 'update', 'end'] as const;
export type AlarmPhase = (typeof ALARM_PHASES)[number];

export type AlarmState = 'active' | 'ended';

/**
 * A clip is recorded while the alarm lasts (plus `post` seconds), then encoded, then ready (or failed, with why);
 * retention deletes it in the end.
 */
export type ClipState = 'recording' | 'encoding' | 'ready' | 'failed' | 'deleted';

export interface AlarmClip {
  state: ClipState;
  /** capture time of the first and last frame in the clip, epoch ms (known once encoded) */
  from?: number;
  to?: number;
  frames?: number;
  bytes?: number;
  /** which encoder made it, e.g. 'x264' or 'nvenc' */
  encoder?: string;
  /** frames of the window left out to keep the camera within ALARM_CLIP_MEMORY_MB (the clip keeps its beginning) */
  omitted?: number;
  error?: string;
}

export interface AlarmRecord {
  id: string;
  camera: string;
  rule: string;
  kind: RuleKind;
  /** classes involved over the whole episode */
  classes: string[];
  /** best score seen during the episode */
  score: number;
  /** capture time of the first violating frame, epoch ms */
  startedAt: number;
  /** capture time of the last violating frame so far */
  lastSeenAt: number;
  /** once ended: the capture time of its last violating frame (the end is declared a quiet time later); null while active */
  endedAt: number | null;
  state: AlarmState;
  /** violating frames counted in the episode */
  violations: number;
  /** the boxes of the triggering frame (normalised), drawn on the snapshot */
  detections: Detection[];
  /** frame sequence of the triggering frame */
  seq: number;
  snapshot: boolean;
  clip: AlarmClip;
}

/** Socket.IO `alarm` event and the pub/sub message behind it. */
export interface AlarmEvent {
  type: AlarmPhase;
  alarm: AlarmRecord;
}

/**
 * Alarm ids: 9 base-36 digits of the start time (ms) then 10 hex digits of randomness, so they sort by time and
 * are safe as file names. Anything else is refused before it reaches a file path.
 */
export const ALARM_ID_PATTERN = /^[0-9a-z]{9}[0-9a-f]{10}$/;

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
