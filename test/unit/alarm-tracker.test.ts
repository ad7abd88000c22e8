import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ViolationEvent } from '@vigil/contracts';
import { AlarmTracker } from '../../libs/alarms/src/lifecycle';

const policy = { quietMs: 1000, cooldownMs: 5000 };

function violation(ts: number, overrides: Partial<ViolationEvent> = {}): ViolationEvent {
  return { camera: 'yard', rule: 'no-entry', kind: 'intrusion', classes: ['person'], score: 0.5, detections: [], seq: ts, ts, frames: 3, ...overrides };
}

function tracker(): AlarmTracker {
  let n = 0;
  return new AlarmTracker(policy, (v) => `a${v.ts}-${n++}`);
}

describe('alarm lifecycle', () => {
  test('the first violation starts an alarm; more while it lasts are the same alarm', () => {
    const t = tracker();
    const [start] = t.onViolation(violation(100));
    assert.equal(start?.type, 'start');
    assert.equal(start?.alarm.startedAt, 100);
    assert.equal(start?.alarm.state, 'active');
    for (let ts = 200; ts <= 3000; ts += 100) assert.deepEqual(t.onViolation(violation(ts)), []);
    assert.equal(t.openAlarms().length, 1);
    assert.equal(t.openAlarms()[0]!.violations, 30);
    assert.equal(t.openAlarms()[0]!.lastSeenAt, 3000);
  });

  test('a better score or a new class is an update; the same score is not', () => {
    const t = tracker();
    t.onViolation(violation(0));
    assert.deepEqual(t.onViolation(violation(100, { score: 0.5 })), []);
    const [better] = t.onViolation(violation(200, { score: 0.9 }));
    assert.equal(better?.type, 'update');
    assert.equal(better?.alarm.score, 0.9);
    const [classes] = t.onViolation(violation(300, { classes: ['car'], score: 0.1 }));
    assert.deepEqual(classes?.alarm.classes, ['car', 'person']);
    assert.equal(classes?.alarm.score, 0.9, 'the best score stays');
  });

  test('tick ends an alarm after the quiet time, at its last violation', () => {
    const t = tracker();
    const [start] = t.onViolation(violation(0));
    t.onViolation(violation(500));
    assert.deepEqual(t.tick(1500), [], 'not quiet long enough yet');
    const [end] = t.tick(1501);
    assert.equal(end?.type, 'end');
    assert.equal(end?.alarm.id, start?.alarm.id);
    assert.equal(end?.alarm.endedAt, 500);
    assert.equal(end?.alarm.state, 'ended');
    assert.deepEqual(t.openAlarms(), []);
  });

  test('a violation inside the cooldown raises nothing and is counted; after it, a new alarm starts', () => {
    const t = tracker();
    const [first] = t.onViolation(violation(0));
    t.tick(2000);
    assert.deepEqual(t.onViolation(violation(3000)), []);
    assert.deepEqual(t.onViolation(violation(4999)), []);
    assert.equal(t.suppressed('yard', 'no-entry'), 2);
    const [second] = t.onViolation(violation(5000));
    assert.equal(second?.type, 'start');
    assert.notEqual(second?.alarm.id, first?.alarm.id);
  });

  test('a late violation past the quiet time ends the old alarm even without a tick (guards a missed timer)', () => {
    const t = tracker();
    t.onViolation(violation(0));
    const events = t.onViolation(violation(1200));
    assert.deepEqual(events.map((e) => e.type), ['end'], 'then the cooldown holds the new one back');
    assert.equal(events[0]!.alarm.endedAt, 0);
  });

  test('cameras and rules are tracked apart', () => {
    const t = tracker();
    assert.equal(t.onViolation(violation(0))[0]?.type, 'start');
    assert.equal(t.onViolation(violation(0, { rule: 'helmet', kind: 'ppe' }))[0]?.type, 'start');
    assert.equal(t.onViolation(violation(0, { camera: 'gate' }))[0]?.type, 'start');
    assert.equal(t.openAlarms().length, 3);
    assert.deepEqual(t.endCamera('yard').map((e) => e.alarm.rule).sort(), ['helmet', 'no-entry']);
    assert.equal(t.openAlarms().length, 1);
  });

  test('a restored tracker carries on the open alarm and the running cooldown (guards duplicate alarms after a restart)', () => {
    const t = tracker();
    const [open] = t.onViolation(violation(0));
    t.onViolation(violation(0, { rule: 'helmet', kind: 'ppe' }));
    t.tick(10); // nothing ends yet
    const r = tracker();
    r.restore(t.snapshot(10));
    assert.deepEqual(r.onViolation(violation(500)), [], 'the same episode, no second start');
    assert.equal(r.openAlarms().find((a) => a.rule === 'no-entry')?.id, open?.alarm.id);

    const ended = tracker();
    ended.onViolation(violation(0));
    ended.tick(2000);
    const again = tracker();
    again.restore(ended.snapshot(2000));
    assert.deepEqual(again.onViolation(violation(3000)), [], 'the cooldown survives the restart');
    assert.deepEqual(ended.snapshot(10_000), [], 'an expired cooldown is not kept');
  });

  test('events carry copies: changing the tracker later does not change an emitted alarm', () => {
    const t = tracker();
    const [start] = t.onViolation(violation(0));
    t.onViolation(violation(100, { score: 0.9 }));
    assert.equal(start?.alarm.score, 0.5);
    assert.equal(start?.alarm.violations, 1);
  });

  test('a proposed change takes effect only on commit (a failed durable write changes nothing)', () => {
    // ids from the violation's source, as alarmIdFor does
    const t = new AlarmTracker(policy, (v, source) => `${source}@${v.ts}`);
    const dropped = t.propose((draft) => draft.onViolation(violation(100), '1-0'));
    assert.equal(dropped.events[0]?.type, 'start');
    assert.equal(dropped.snapshot(100).length, 1, 'the snapshot to save is the state after the change');
    assert.deepEqual(t.openAlarms(), [], 'not committed: nothing open');
    const again = t.propose((draft) => draft.onViolation(violation(100), '1-0'));
    assert.deepEqual(again.events, dropped.events, 'the same violation tried again gives the same start');
    again.commit();
    assert.equal(t.openAlarms().length, 1);
    assert.deepEqual(t.propose((draft) => draft.onViolation(violation(200), '2-0')).events, [], 'committed: the next one extends it');
  });
});
