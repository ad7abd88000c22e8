import { signedPath } from '@vigil/auth';
import type { AlarmEvent, AlarmWebhookPayload, WebhookEventType } from '@vigil/contracts';

/** How the links in a body are made: the site's public URL, and the key and lifetime of the clip and snapshot links. */
export interface LinkSigning {
  publicUrl: string;
  key: Buffer;
  ttlMs: number;
}

/** The webhook event an alarm event gives (start and end only: updates would flood the receivers), or none. */
export function webhookTypeOf(event: AlarmEvent): WebhookEventType | undefined {
  if (event.type === 'start') return 'alarm.start';
  if (event.type === 'end') return 'alarm.end';
  return undefined;
}

/**
 * The small JSON body receivers get: what happened, where and when, with links to the clip and snapshot. Those two
 * are signed (HMAC, with an expiry), so a receiver fetches them without an account; the alarm's own link needs one.
 */
export function webhookPayload(event: AlarmEvent, type: WebhookEventType, links: LinkSigning): AlarmWebhookPayload {
  const { alarm } = event;
  // the event's own time, not the sending time, so that a replay after a crash builds the very same body
  const at = type === 'alarm.start' ? alarm.startedAt : (alarm.endedAt ?? alarm.lastSeenAt);
  const path = `/api/alarms/${alarm.id}`;
  const self = `${links.publicUrl}${path}`;
  const signed = (file: string): string => `${links.publicUrl}${signedPath(`${path}/${file}`, at + links.ttlMs, links.key)}`;
  return {
    type,
    timestamp: new Date(at).toISOString(),
    data: {
      id: alarm.id,
      camera: alarm.camera,
      rule: alarm.rule,
      kind: alarm.kind,
      classes: alarm.classes,
      score: alarm.score,
      startedAt: alarm.startedAt,
      endedAt: alarm.endedAt,
      links: { alarm: self, clip: signed('clip'), snapshot: signed('snapshot') },
    },
  };
}
