import { createHash } from 'node:crypto';
import { newAlarmId, type ViolationEvent } from '@vigil/contracts';

/**
 * The id of the alarm a violation starts: its start time, then a hash of the camera, rule and the violation's
 * stream entry id. The same violation delivered twice (a crash before its acknowledgement) gives the same id, so
 * the record, the webhook ids and the clip file are written again, not duplicated.
 */
export function alarmIdFor(violation: ViolationEvent, source: string): string {
  const digest = createHash('sha256').update(`${violation.camera}\u0000${violation.rule}\u0000${source}\u0000${violation.seq}`).digest();
  return newAlarmId(violation.ts, digest);
}
