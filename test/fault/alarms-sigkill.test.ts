/**
 * Fault 11, the alarms process: SIGKILL (no goodbye) while an alarm is active, violations still coming, and a
 * restart with the same consumer name. The alarm's episode lives in Redis (the tracker state is saved with every
 * violation before it is acknowledged), so the restarted process carries the same alarm on: one alarm.start and one
 * alarm.end webhook, the same alarm id, one record. The alarms service runs alone, as in a split deployment, with a
 * real redis-server and a real webhook receiver; the test writes the violations as inference would.
 * (This covers the lifecycle and the webhooks; the clip of the carried-on alarm is the clip capture's to test.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { keys, type AlarmRecord, type AlarmWebhookPayload, type ViolationEvent } from '@vigil/contracts';
import { startRedisServer, startVigil, type RedisServerHandle, type VigilHandle } from '../../scripts/support';
import { reportFault } from '../support/fault-report';
import { waitFor } from '../support/wait';
import { newWebhookSecret } from '../support/webhook-fixtures';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const EVERY_MS = 200;
const QUIET_MS = 2000;

describe('the alarms process killed (SIGKILL) during an alarm', { timeout: 120_000 }, () => {
  const secret = newWebhookSecret();
  let redis: RedisServerHandle;
  let probe: Redis;
  let receiver: WebhookReceiver;
  let alarms: VigilHandle | undefined;
  let alarmsDir: string | undefined;
  let feeding: NodeJS.Timeout | undefined;

  const start = (): Promise<VigilHandle> =>
    startVigil({
      app: 'alarms',
      redisUrl: redis.url,
      env: {
        INSTANCE_ID: 'alarms-under-test',
        ...(alarmsDir ? { ALARMS_DIR: alarmsDir } : {}),
        // shorter than the episode before the kill and than the restart: carrying on must not depend on the restart
        // being quick, only on the saved episode and on the violations that came meanwhile being read before any end
        ALARM_QUIET_SECONDS: String(QUIET_MS / 1000),
        ALARM_COOLDOWN_SECONDS: '0',
        WEBHOOK_URL: receiver.url,
        WEBHOOK_SECRET: secret,
        WEBHOOK_RETRY_SECONDS: '0,1,1,1,1,1,1,1',
        WEBHOOK_LOCK_SECONDS: '2',
      },
    });

  before(async () => {
    redis = await startRedisServer();
    probe = new Redis(redis.url);
    receiver = await startWebhookReceiver({ secret });
    alarms = await start();
    alarmsDir = alarms.alarmsDir;
  });

  after(async () => {
    clearInterval(feeding);
    await alarms?.stop();
    await receiver?.close();
    await probe?.quit();
    await redis?.stop();
  });

  const violation = (): Promise<string | null> => {
    const ts = Date.now();
    const event: ViolationEvent = { camera: 'gate', rule: 'no-entry', kind: 'intrusion', classes: ['person'], score: 0.9, detections: [], seq: ts, ts, frames: 1 };
    return probe.xadd(keys.violations, '*', 'camera', 'gate', 'rule', 'no-entry', 'event', JSON.stringify(event));
  };
  const webhooks = (): AlarmWebhookPayload[] => [...receiver.unique.values()].map((request) => JSON.parse(request.body) as AlarmWebhookPayload);
  const savedOpen = async (): Promise<AlarmRecord | undefined> => {
    const [saved] = (await probe.hvals(keys.alarmsOpen)).map((json) => JSON.parse(json) as { open?: AlarmRecord });
    return saved?.open;
  };

  test('the active alarm is carried on: one start, one end, same id', async () => {
    feeding = setInterval(() => void violation(), EVERY_MS);
    const started = await receiver.nextRequest((request) => request.body.includes('"alarm.start"'), 'the alarm.start webhook', 30_000);
    const id = (JSON.parse(started.body) as AlarmWebhookPayload).data.id;
    // the kill comes well into the episode: longer than the quiet time after its start
    await waitFor('the episode extended', async () => {
      const open = await savedOpen();
      return open && open.lastSeenAt - open.startedAt > 2 * QUIET_MS;
    }, 30_000);

    await alarms!.child.stop('SIGKILL');
    const killedAt = Date.now();
    alarms = await start();
    const restarted = Date.now();
    console.log(`alarms restarted in ${restarted - killedAt} ms`);
    // recovered: a violation raised after the kill extended the same, saved alarm
    await waitFor('the alarm carried on', async () => {
      const open = await savedOpen();
      return open?.id === id && open.lastSeenAt > killedAt;
    }, 30_000);
    const recoveryMs = Date.now() - restarted;

    clearInterval(feeding);
    await receiver.nextRequest((request) => request.body.includes('"alarm.end"'), 'the alarm.end webhook', 60_000);
    const bodies = webhooks();
    assert.deepEqual(bodies.map((body) => body.type).sort(), ['alarm.end', 'alarm.start'], 'one start and one end (by webhook-id)');
    assert.deepEqual(new Set(bodies.map((body) => body.data.id)), new Set([id]), 'the same alarm');
    assert.equal(receiver.requests.filter((request) => request.body.includes('"alarm.start"')).length, 1, 'the start was sent once');
    assert.equal(await probe.zcard(keys.alarmIndex()), 1, 'one alarm recorded');
    const record = JSON.parse((await probe.get(keys.alarm(id)))!) as AlarmRecord;
    assert.equal(record.state, 'ended');
    assert.ok(record.endedAt! > killedAt, 'it ended after the kill, with the violations that came after it');

    reportFault({ fault: 'SIGKILL of the alarms process during an alarm', recoveryMs, lost: { alarms: 0, webhooks: 0 }, note: 'from the restarted process listening to the alarm carried on' });
  });
});
