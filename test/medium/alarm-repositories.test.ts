/**
 * The alarm repositories in libs/redis read back what is in Redis like any input: a record, a saved episode or a
 * dead letter that does not check out (hand-written, or from a broken writer) is left out, never served or cast.
 * Real redis-server.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import Redis from 'ioredis';
import { alarmQuerySchema, keys, type AlarmRecord, type WebhookDeadLetter } from '@vigil/contracts';
import { AlarmStore } from '../../libs/redis/src/alarm-store';
import { WebhookDeadLetters } from '../../libs/redis/src/webhook-dead-letters';
import { startRedisServer, type RedisServerHandle } from '../../scripts/support';
import { storedAlarm } from '../support/alarm-fixtures';

describe('alarm repositories (real redis-server)', () => {
  let redis: RedisServerHandle;
  let client: Redis;
  const warnings: string[] = [];
  let store: AlarmStore;

  before(async () => {
    redis = await startRedisServer();
    client = new Redis(redis.url);
    store = new AlarmStore(client, { warn: (line: string) => void warnings.push(line) });
  });

  beforeEach(async () => {
    await client.flushall();
    warnings.length = 0;
  });

  after(async () => {
    await client?.quit();
    await redis?.stop();
  });

  test('a bad alarm record is left out of get and of the listing, and logged once by its key', async () => {
    const good = storedAlarm({ camera: 'yard', rule: 'intrusion', startedAt: Date.now() - 1000, clip: { state: 'ready' } });
    await store.record({ type: 'end', alarm: good });
    const bad = storedAlarm({ camera: 'yard', rule: 'intrusion', startedAt: Date.now() - 2000, clip: { state: 'ready' } });
    await store.record({ type: 'end', alarm: bad });
    await client.set(keys.alarm(bad.id), JSON.stringify({ ...bad, camera: '../../etc', score: 7 }));

    assert.equal(await store.get(bad.id), undefined);
    assert.equal(await store.get(bad.id), undefined);
    const page = await store.list(alarmQuerySchema.parse({}));
    assert.deepEqual(page.items.map((alarm: AlarmRecord) => alarm.id), [good.id]);
    assert.equal(warnings.length, 1, warnings.join(' | '));
    assert.match(warnings[0]!, new RegExp(bad.id));
  });

  test('a saved episode that does not check out is not carried on', async () => {
    const open = storedAlarm({ camera: 'gate', rule: 'helmet', startedAt: Date.now(), state: 'active', clip: { state: 'recording' } });
    await store.saveTracker([{ camera: 'gate', rule: 'helmet', open }]);
    await client.hset(keys.alarmsOpen, 'gate/other', '{"camera":"gate","rule":"no-match"}', 'yard/x', 'not json');
    assert.deepEqual(await store.loadTracker(), [{ camera: 'gate', rule: 'helmet', open }]);
    assert.equal(warnings.length, 2);
  });

  test('dead letters: added newest first within the bound, junk left out', async () => {
    const letters = new WebhookDeadLetters(client);
    const letter = (n: number): WebhookDeadLetter => ({
      messageId: `msg_${n}`,
      alarmId: storedAlarm({ camera: 'gate', rule: 'r', startedAt: Date.now(), clip: { state: 'ready' } }).id,
      eventType: 'alarm.start',
      endpoint: { id: 'env', url: 'https://hooks.example.com/***' },
      payload: { type: 'alarm.start', timestamp: new Date().toISOString(), data: {} } as WebhookDeadLetter['payload'],
      attempts: 3,
      lastError: 'HTTP 500',
      lastStatus: 500,
      deadAt: Date.now(),
    });
    for (const n of [1, 2, 3]) await letters.add(letter(n), 2);
    await client.lpush(keys.webhookDeadLetters, '{"messageId": 5}');
    assert.deepEqual((await letters.list()).map((entry) => entry.messageId), ['msg_3', 'msg_2']);
  });
});
