import { randomBytes } from 'node:crypto';
import { newAlarmId, type AlarmRecord } from '@vigil/contracts';

/** A stored alarm as the alarms service writes it; ended unless `state` says otherwise, 12 s long. */
export function storedAlarm(fields: Partial<AlarmRecord> & Pick<AlarmRecord, 'camera' | 'rule' | 'startedAt' | 'clip'>): AlarmRecord {
  const state = fields.state ?? 'ended';
  return {
    id: newAlarmId(fields.startedAt, randomBytes(5)),
    kind: 'intrusion',
    classes: ['person'],
    score: 0.7,
    lastSeenAt: fields.startedAt + 12_000,
    endedAt: state === 'ended' ? fields.startedAt + 12_000 : null,
    state,
    violations: 40,
    detections: [{ label: 'person', classId: 0, score: fields.score ?? 0.7, box: [0.2, 0.2, 0.5, 0.9] }],
    seq: 100,
    snapshot: true,
    ...fields,
  };
}
