import { randomBytes } from 'node:crypto';
import { newAlarmId, type AlarmWebhookPayload, type WebhookEventType } from '@vigil/contracts';

/** A fresh signing secret in the Standard Webhooks format. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** An alarm event payload as the alarms service would enqueue it; a new alarm id unless one is given. */
export function alarmWebhookPayload(type: WebhookEventType, alarmId = newAlarmId(Date.now(), randomBytes(5)), camera = 'gate'): AlarmWebhookPayload {
  return {
    type,
    timestamp: new Date().toISOString(),
    data: {
      id: alarmId,
      camera,
      rule: 'intrusion-yard',
      kind: 'intrusion',
      classes: ['person'],
      score: 0.91,
      startedAt: Date.now() - 5000,
      endedAt: type === 'alarm.end' ? Date.now() : null,
      links: { alarm: `/api/alarms/${alarmId}`, clip: `/api/alarms/${alarmId}/clip`, snapshot: `/api/alarms/${alarmId}/snapshot` },
    },
  };
}
