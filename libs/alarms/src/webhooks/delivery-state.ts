import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '@vigil/contracts';

export const WEBHOOK_DELIVERY_STATES = ['pending', 'retrying', 'delivered', 'dead'] as const;
export type WebhookDeliveryState = (typeof WEBHOOK_DELIVERY_STATES)[number];

/** One delivery (an event to one endpoint) as the API shows it. */
export const webhookDeliverySchema = z
  .object({
    messageId: z.string(),
    alarmId: z.string(),
    endpointId: z.string(),
    endpointUrl: z.string().describe('the endpoint, credentials masked'),
    eventType: z.enum(WEBHOOK_EVENT_TYPES),
    state: z.enum(WEBHOOK_DELIVERY_STATES),
    attempts: z.number().int().nonnegative().describe('tries made so far, including one in flight'),
    lastError: z.string().nullable(),
    lastStatus: z.number().int().nullable(),
    deliveredAt: z.number().nonnegative().nullable().describe('epoch ms of the 2xx, null until delivered'),
  })
  .strict();
export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>;

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
