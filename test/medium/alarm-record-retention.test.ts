/**
 * Growth over time (fault 10): alarm records older than ALARM_RECORD_RETENTION_DAYS are deleted from Redis with
 * their rows in every index (all, per camera, per rule, per camera + rule); they used to stay for ever. Newer records
 * and the listing are untouched. Real redis-server, the alarms service's own retention pass.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import Redis from 'ioredis';
import { loadConfig } from '@vigil/config';
import { keys, type AlarmRecord } from '@vigil/contracts';
import { AlarmStore, alarmQuerySchema } from '../../libs/alarms/src/store';
import { RecordRetention } from '../../apps/alarms/src/lifecycle/record-retention.service';
import { startRedisServer, type RedisServerHandle } from '../../scripts/support';
import { storedAlarm } from '../support/alarm-fixtures';

const DAY = 86_400_000;

describe('alarm record retention (real redis-server)', () => {
  let redis: RedisServerHandle;
  let client: Redis;
  let store: AlarmStore;
  const now = Date.now();
  const alarm = (camera: string, rule: string, ageDays: number): AlarmRecord =>
    storedAlarm({ camera, rule, startedAt: now - ageDays * DAY, clip: { state: 'deleted' } as AlarmRecord['clip'] });

  before(async () => {
    redis = await startRedisServer();
    client = new Redis(redis.url);
    store = new AlarmStore(client);
  });

  beforeEach(async () => {
    await client.flushall();
  });

  after(async () => {
    await client?.quit();
    await redis?.stop();
  });

  /** Every id in every index of these alarms' cameras and rules. */
  const indexed = async (alarms: AlarmRecord[]): Promise<Set<string>> => {
    const indexes = new Set<string>([keys.alarmIndex()]);
    for (const a of alarms) {
      indexes.add(keys.alarmIndex({ camera: a.camera }));
      indexes.add(keys.alarmIndex({ rule: a.rule }));
      indexes.add(keys.alarmIndex({ camera: a.camera, rule: a.rule }));
    }
    const ids = new Set<string>();
    for (const index of indexes) for (const id of await client.zrange(index, 0, -1)) ids.add(id);
    return ids;
  };

  test('the retention pass deletes old records and every index row of theirs, and nothing newer', async () => {
    const old = [alarm('yard', 'intrusion', 5), alarm('gate', 'helmet', 3), alarm('gate', 'intrusion', 2)];
    const kept = [alarm('yard', 'intrusion', 0.5), alarm('gate', 'helmet', 0.1)];
    for (const a of [...old, ...kept]) await store.record({ type: 'end', alarm: a });

    const retention = new RecordRetention(loadConfig({ REDIS_URL: redis.url, ALARM_RECORD_RETENTION_DAYS: '1' }), store);
    await retention.run(now);

    for (const a of old) assert.equal(await store.get(a.id), undefined, `record ${a.id} deleted`);
    for (const a of kept) assert.deepEqual(await store.get(a.id), a, `record ${a.id} kept as it was`);
    assert.deepEqual([...(await indexed([...old, ...kept]))].sort(), kept.map((a) => a.id).sort(), 'no index row of a deleted record is left');
    const page = await store.list(alarmQuerySchema.parse({}));
    assert.deepEqual(page.items.map((a) => a.id), [kept[1]!.id, kept[0]!.id]);
  });

  test('more old records than one round takes, and an index row whose record is gone, all go', async () => {
    const old = Array.from({ length: 12 }, (_, i) => alarm(`cam-${i % 3}`, 'intrusion', 10 + i));
    for (const a of old) await store.record({ type: 'end', alarm: a });
    await client.zadd(keys.alarmIndex(), now - 20 * DAY, 'orphan-id'); // its record was removed by hand
    assert.equal(await store.removeStartedBefore(now - DAY, 5), 12);
    assert.equal(await client.zcard(keys.alarmIndex()), 0);
    assert.equal((await indexed(old)).size, 0);
    assert.deepEqual(await client.keys(`${keys.alarm('')}*`), []);
  });
});
