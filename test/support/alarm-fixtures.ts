import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import type Redis from 'ioredis';
import { AlarmStore, ClipStore } from '@vigil/alarms';
import { keys, newAlarmId, type AlarmRecord, type ViolationEvent } from '@vigil/contracts';

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

/**
 * An ended alarm of `camera` from a minute ago, recorded in Redis as the alarms service records one, with its files
 * in `alarmsDir`: a 4-byte clip (`clip`) and a minimal JPEG snapshot. Returns its id.
 */
export async function storedAlarmWithFiles(redis: Redis, alarmsDir: string, camera: string): Promise<string> {
  const alarm = storedAlarm({ camera, rule: 'intrusion', startedAt: Date.now() - 60_000, clip: { state: 'ready', from: 0, to: 1, frames: 1, bytes: 4, encoder: 'x264' } });
  await new AlarmStore(redis).record({ type: 'end', alarm });
  const files = new ClipStore({ dir: alarmsDir, maxAgeMs: 86_400_000, maxBytes: 1e9 });
  await mkdir(alarmsDir, { recursive: true });
  await writeFile(files.clipPath(alarm.id), 'clip');
  await writeFile(files.snapshotPath(alarm.id), Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
  return alarm.id;
}

/** One violation of `rule` on `camera` at `ts`, added to the violations stream as inference adds it. */
export async function addViolation(redis: Redis, camera: string, rule: string, ts = Date.now()): Promise<void> {
  const event: ViolationEvent = { camera, rule, kind: 'intrusion', classes: ['person'], score: 0.9, detections: [], seq: ts, ts, frames: 1 };
  await redis.xadd(keys.violations, '*', 'camera', camera, 'rule', rule, 'event', JSON.stringify(event));
}
