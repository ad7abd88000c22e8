import type { WebhookEventType } from '@vigil/contracts';

export type WebhookDeliveryState = 'pending' | 'retrying' | 'delivered' | 'dead';

/** One delivery (an event to one endpoint) as the API shows it. */
export interface WebhookDelivery {
  messageId: string;
  alarmId: string;
  endpointId: string;
  endpointUrl: string;
  eventType: WebhookEventType;
  state: WebhookDeliveryState;
  /** tries made so far, including one in flight */
  attempts: number;
  lastError: string | null;
  lastStatus: number | null;
  /** epoch ms of the 2xx, null until delivered */
  deliveredAt: number | null;
}

/** How a response ends a try. */
export type ResponseOutcome = 'delivered' | 'retry' | 'gone';

/**
 * 2xx is success. 410 Gone means the receiver asks us to stop: that delivery goes to the dead letters at once
 * instead of knocking for 28 h, but the endpoint stays configured (config is static here; the operator removes it).
 * Everything else, 3xx included (redirects are not followed), is retried.
 */
export function classifyResponse(status: number): ResponseOutcome {
  if (status >= 200 && status <= 299) return 'delivered';
  if (status === 410) return 'gone';
  return 'retry';
}

/** BullMQ job states, as returned by Job.getState(). */
export type QueueJobState = 'completed' | 'failed' | 'delayed' | 'active' | 'waiting' | 'waiting-children' | 'prioritized' | 'unknown';

/** Maps the queue's view to ours: a job that already failed once and waits (or runs) again is retrying. */
export function deliveryState(jobState: QueueJobState | string, failedTries: number): WebhookDeliveryState {
  if (jobState === 'completed') return 'delivered';
  if (jobState === 'failed') return 'dead';
  return failedTries > 0 ? 'retrying' : 'pending';
}
