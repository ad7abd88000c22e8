import type { AlarmEvent, AlarmWebhookPayload, WebhookEventType } from '@vigil/contracts';

/** The webhook event an alarm event gives (start and end only: updates would flood the receivers), or none. */
export function webhookTypeOf(event: AlarmEvent): WebhookEventType | undefined {
  if (event.type === 'start') return 'alarm.start';
  if (event.type === 'end') return 'alarm.end';
  return undefined;
}

/** The small JSON body receivers get: what happened, where and when, with links to the clip and snapshot. */
export function webhookPayload(event: AlarmEvent, type: WebhookEventType, publicUrl: string): AlarmWebhookPayload {
  const { alarm } = event;
  // the event's own time, not the sending time, so that a replay after a crash builds the very same body
  const at = type === 'alarm.start' ? alarm.startedAt : (alarm.endedAt ?? alarm.lastSeenAt);
  const self = `${publicUrl}/api/alarms/${alarm.id}`;
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
      links: { alarm: self, clip: `${self}/clip`, snapshot: `${self}/snapshot` },
    },
  };
}
