/**
 * Fault 6: an alarm.start is never lost. The alarm's episode used to be opened in the tracker before the durable
 * write, so when the write failed the violation's next delivery found the episode open and gave no start: the start
 * (record and webhook) was lost for good. Now the tracker's change is committed only after the writes.
 * Fakes for the store, clips and delivery: the real Redis case is in test/fault/alarm-start-write.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AlarmEvent, AlarmRecord, ViolationEvent } from '@vigil/contracts';
import type { StreamEntry } from '@vigil/redis';
import { AlarmsService } from '../../apps/alarms/src/lifecycle/alarms.service';

const QUIET_MS = 1000;

function entry(id: string, ts: number): StreamEntry {
  const violation: ViolationEvent = { camera: 'gate', rule: 'no-entry', kind: 'intrusion', classes: ['person'], score: 0.9, detections: [], seq: ts, ts, frames: 1 };
  return { id, fields: { camera: 'gate', rule: 'no-entry', event: JSON.stringify(violation) } };
}

/** The service with fakes; `failNext` makes the next store write of that kind throw, as Redis being away would. */
function service() {
  const failNext = { record: 0, saveTracker: 0 };
  const recorded: AlarmEvent[] = [];
  const delivered: AlarmEvent[] = [];
  const write = (kind: keyof typeof failNext): void => {
    if (failNext[kind] > 0) {
      failNext[kind] -= 1;
      throw new Error(`Connection is closed (${kind})`);
    }
  };
  const store = {
    loadTracker: async () => [],
    get: async () => undefined,
    update: async () => undefined,
    record: async (event: AlarmEvent) => {
      write('record');
      recorded.push(event);
    },
    saveTracker: async () => write('saveTracker'),
  };
  const clips = { onClip: () => undefined, begin: async () => true, end: () => undefined };
  const delivery = { deliver: async (event: AlarmEvent) => void delivered.push(event), clipChanged: async () => undefined };
  const counter = { inc: () => undefined };
  const metrics = {
    events: counter,
    suppressed: counter,
    deadLettered: counter,
    badMessages: { accept: <T>(_camera: string, _channel: string, read: { ok: boolean; value?: T }) => (read.ok ? read.value : undefined) },
  };
  const settings = { policy: { quietMs: QUIET_MS, cooldownMs: 0, preMs: 0, postMs: 0, maxClipMs: 10_000 } };
  const alarms = new AlarmsService({ instanceId: 'test' } as never, settings as never, store as never, clips as never, delivery as never, metrics as never, {} as never, { register: () => undefined } as never);
  const starts = (): AlarmRecord[] => delivered.filter((event) => event.type === 'start').map((event) => event.alarm);
  return { alarms, failNext, recorded, delivered, starts };
}

describe('an alarm start survives a failed durable write', () => {
  test('the record write fails: the same violation delivered again starts the alarm, once, with the same id', async () => {
    const { alarms, failNext, starts, recorded } = service();
    failNext.record = 1;
    await assert.rejects(alarms.handleEntry(entry('1-0', 1000)), /Connection is closed/, 'the handler fails, so the entry is not acknowledged');
    assert.equal(starts().length, 0);

    await alarms.handleEntry(entry('1-0', 1000)); // the stream delivers it again
    assert.equal(starts().length, 1, 'the start is not lost');
    assert.equal(recorded.filter((event) => event.type === 'start').length, 1);

    await alarms.handleEntry(entry('2-0', 1200));
    assert.equal(starts().length, 1, 'the next violation extends the same alarm');
  });

  test('the tracker state cannot be saved: nothing is committed, and the retry gives the same start again (idempotent)', async () => {
    const { alarms, failNext, starts } = service();
    failNext.saveTracker = 1;
    await assert.rejects(alarms.handleEntry(entry('1-0', 1000)));
    await alarms.handleEntry(entry('1-0', 1000));
    const ids = new Set(starts().map((alarm) => alarm.id));
    assert.equal(ids.size, 1, 'one alarm, whose start may be written twice under the same id (webhooks dedupe on it)');
  });

  test('the end write fails: the next tick ends the alarm', async () => {
    const { alarms, failNext, delivered } = service();
    await alarms.handleEntry(entry('1-0', 1000));
    failNext.record = 1;
    await assert.rejects(alarms.tick(1000 + QUIET_MS + 1));
    assert.equal(delivered.filter((event) => event.type === 'end').length, 0);
    await alarms.tick(1000 + QUIET_MS + 300);
    const ends = delivered.filter((event) => event.type === 'end');
    assert.equal(ends.length, 1, 'the end is not lost');
    assert.equal(ends[0]!.alarm.id, delivered[0]!.alarm.id);
  });
});
