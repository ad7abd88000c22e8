import type { AlarmWebhookPayload, WebhookEventType } from '@vigil/contracts';

/** What one queued delivery (one event to one endpoint) carries in Redis. No secret: it is looked up at send time. */
export interface WebhookJobData {
  /** `webhook-id`: one per event, shared by every endpoint and every retry */
  messageId: string;
  alarmId: string;
  camera: string;
  eventType: WebhookEventType;
  endpointId: string;
  /** the endpoint's URL when enqueued, masked, for the delivery listing */
  endpointUrl: string;
  /** the JSON body exactly as sent and signed on every try */
  body: string;
}

/** Written to the job's progress after each try, so state queries see the last outcome while retries wait. */
export interface WebhookAttemptRecord {
  lastStatus: number | null;
  lastError: string | null;
  lastAttemptAt: number;
}

/**
 * The event's message id, derived only from the alarm and the event type: an alarms service that replays its
 * event log after a crash enqueues the same ids again, and receivers that dedupe on `webhook-id` see one event.
 * No `.` in it, as the spec asks, because the signed content is `id.timestamp.body`.
 */
export function webhookMessageId(payload: Pick<AlarmWebhookPayload, 'type'> & { data: Pick<AlarmWebhookPayload['data'], 'id'> }): string {
  return `msg_${payload.data.id}_${payload.type.replace(/\./g, '_')}`;
}

/**
 * One job per event and endpoint: adding a job whose id exists is a no-op in BullMQ, which makes enqueueing
 * idempotent. `__` separates the parts because BullMQ reserves `:` in custom ids.
 */
export function deliveryJobId(messageId: string, endpointId: string): string {
  return `${messageId}__${endpointId}`;
}
