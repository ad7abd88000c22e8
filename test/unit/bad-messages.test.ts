/**
 * Bad bus messages are counted every time and logged once per camera per minute: four services warned on every
 * bad message, so one camera sending junk at frame rate wrote thirty lines a second.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BadMessages, MetricsService, ThrottledLog } from '@vigil/metrics';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('ThrottledLog', () => {
  test('one line per key per interval; the next one says how many were left out', () => {
    const lines: string[] = [];
    const time = clock();
    const log = new ThrottledLog((line) => lines.push(line), { intervalMs: 60_000, now: time.now });
    assert.equal(log.log('yard', 'bad 1'), true);
    for (let i = 2; i <= 100; i++) assert.equal(log.log('yard', `bad ${i}`), false);
    time.advance(59_999);
    assert.equal(log.log('yard', 'bad 101'), false);
    time.advance(1);
    assert.equal(log.log('yard', 'bad 102'), true);
    assert.deepEqual(lines, ['bad 1', 'bad 102 (and 100 more like it since the last line)']);
  });

  test('keys are independent', () => {
    const lines: string[] = [];
    const log = new ThrottledLog((line) => lines.push(line), { intervalMs: 60_000, now: clock().now });
    for (let i = 0; i < 10; i++) for (const key of ['yard', 'gate', 'dock']) log.log(key, key);
    assert.deepEqual(lines, ['yard', 'gate', 'dock']);
  });

  test('a flood of new keys cannot grow memory or the log: past maxKeys they share one line', () => {
    const lines: string[] = [];
    const time = clock();
    const log = new ThrottledLog((line) => lines.push(line), { intervalMs: 60_000, maxKeys: 3, now: time.now });
    for (let i = 0; i < 1000; i++) log.log(`key-${i}`, `line ${i}`);
    assert.deepEqual(lines, ['line 0', 'line 1', 'line 2', 'line 3']);
    // once their intervals are over, the old keys make room again
    time.advance(60_000);
    log.log('fresh', 'fresh line');
    assert.equal(lines.at(-1), 'fresh line');
  });
});

describe('BadMessages', () => {
  const counts = async (metrics: MetricsService): Promise<string[]> =>
    (await metrics.text()).split('\n').filter((line) => line.startsWith('vigil_bus_bad_messages_total{'));

  test('counts every drop by consumer, camera and reason, and logs once per camera per interval', async () => {
    const metrics = new MetricsService();
    const lines: string[] = [];
    const bad = new BadMessages(metrics, 'publish', { warn: (line) => lines.push(line) });
    for (let i = 0; i < 50; i++) bad.drop('yard', 'vigil:frames:yard:raw', 'envelope', 'envelope too short: 3 bytes');
    for (let i = 0; i < 5; i++) bad.drop('gate', 'vigil:detections:gate', 'schema', 'seq: Expected number');
    assert.deepEqual(await counts(metrics), [
      'vigil_bus_bad_messages_total{consumer="publish",camera="yard",reason="envelope"} 50',
      'vigil_bus_bad_messages_total{consumer="publish",camera="gate",reason="schema"} 5',
    ]);
    assert.deepEqual(lines, [
      'camera yard: dropped a bad message on vigil:frames:yard:raw (envelope: envelope too short: 3 bytes)',
      'camera gate: dropped a bad message on vigil:detections:gate (schema: seq: Expected number)',
    ]);
  });

  test('a camera label is a camera id or "unknown", never text an attacker chose', async () => {
    const metrics = new MetricsService();
    const lines: string[] = [];
    const bad = new BadMessages(metrics, 'alarms', { warn: (line) => lines.push(line) });
    for (const camera of ['../../etc', 'a"b', 'x\ny', '', 'z'.repeat(65), '-leading-dash']) bad.drop(camera, 'vigil:violations', 'json', 'not JSON');
    assert.deepEqual(await counts(metrics), ['vigil_bus_bad_messages_total{consumer="alarms",camera="unknown",reason="json"} 6']);
    assert.deepEqual(lines, ['camera unknown: dropped a bad message on vigil:violations (json: not JSON)']);
  });

  test('accept gives the value of a good read and drops a bad one', () => {
    const bad = new BadMessages(new MetricsService(), 'inference', { warn: () => undefined });
    assert.equal(bad.accept('yard', 'c', { ok: true, value: 5 }), 5);
    assert.equal(bad.accept('yard', 'c', { ok: false, reason: 'jpeg', detail: 'x' }), undefined);
  });
});
