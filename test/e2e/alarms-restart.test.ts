/**
 * Alarms are not lost: the alarms service alone (as in a split deployment) with a real redis-server and a real HTTP
 * webhook receiver. The receiver is down while alarms happen, then comes up: every alarm's start and end arrive.
 * Then the alarms process is killed (SIGKILL) while the receiver holds deliveries open, and started again: every
 * alarm still arrives, exactly once per webhook-id at the receiver's dedupe, and no alarm is recorded twice. Alarm
 * events also reach a real MQTT broker (aedes).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { keys, type AlarmWebhookPayload, type ViolationEvent } from '@vigil/contracts';
import { freePort, startRedisServer, startVigil, type RedisServerHandle, type VigilHandle } from '../../scripts/support';
import { Broker } from '../support/mqtt-broker';
import { waitFor } from '../support/wait';
import { newWebhookSecret } from '../support/webhook-fixtures';
import { startWebhookReceiver, type Reply, type WebhookReceiver } from '../support/webhook-receiver';

describe('alarms survive a receiver outage and a killed alarms process', { timeout: 180_000 }, () => {
  let redis: RedisServerHandle;
  let probe: Redis;
  let alarms: VigilHandle | undefined;
  let receiver: WebhookReceiver | undefined;
  let receiverPort: number;
  let broker: Broker;
  let reply: Reply = 204;
  const secret = newWebhookSecret();

  const start = async (): Promise<VigilHandle> =>
    startVigil({
      app: 'alarms',
      redisUrl: redis.url,
      env: {
        // the same consumer name after the restart, so it first re-reads what it left unacknowledged
        INSTANCE_ID: 'alarms-under-test',
        ALARMS_DIR: alarmsDir,
        ALARM_QUIET_SECONDS: '0.3',
        ALARM_COOLDOWN_SECONDS: '0',
        WEBHOOK_URL: `http://127.0.0.1:${receiverPort}/hook`,
        WEBHOOK_SECRET: secret,
        WEBHOOK_RETRY_SECONDS: '0,1,1,1,1,1,1,1,1,1',
        WEBHOOK_LOCK_SECONDS: '2',
        MQTT_URL: `mqtt://127.0.0.1:${broker.port}`,
      },
    });
  let alarmsDir: string;

  before(async () => {
    redis = await startRedisServer();
    probe = new Redis(redis.url);
    receiverPort = await freePort();
    broker = await Broker.start();
    const first = await start();
    alarmsDir = first.alarmsDir;
    alarms = first;
  });

  after(async () => {
    await alarms?.stop();
    await receiver?.close();
    await probe?.quit();
    await broker?.close();
    await redis?.stop();
  });

  /** One short episode of rule `rule` on camera `gate`: it starts now and ends after the quiet time. */
  async function episode(rule: string): Promise<void> {
    const ts = Date.now();
    const event: ViolationEvent = { camera: 'gate', rule, kind: 'intrusion', classes: ['person'], score: 0.9, detections: [], seq: ts, ts, frames: 1 };
    await probe.xadd(keys.violations, '*', 'camera', 'gate', 'rule', rule, 'event', JSON.stringify(event));
  }

  const alarmCount = (): Promise<number> => probe.zcard(keys.alarmIndex());

  test('receiver down, then up: every alarm start and end arrives', async () => {
    for (const rule of ['a', 'b', 'c']) await episode(rule);
    await waitFor('three alarms recorded', async () => (await alarmCount()) === 3);
    // give the first tries time to fail against the closed port
    await waitFor('failed tries in the log', () => alarms!.child.lastLines().some((line) => /ECONNREFUSED|fetch failed|connect/i.test(line.text)), 15_000).catch(() => undefined);
    receiver = await startWebhookReceiver({ secret, port: receiverPort, reply: () => reply });
    await receiver.uniqueCount(6, 30_000);
    const types = [...receiver.unique.values()].map((request) => (JSON.parse(request.body) as AlarmWebhookPayload).type);
    assert.equal(types.filter((type) => type === 'alarm.start').length, 3);
    assert.equal(types.filter((type) => type === 'alarm.end').length, 3);
  });

  test('alarm events are published to MQTT on vigil/alarms/<camera>', async () => {
    const packets = await broker.packets('vigil/alarms/gate', 6, 15_000);
    const events = packets.map((packet) => JSON.parse(packet.payload.toString()) as { type: string; alarm: { rule: string } });
    assert.deepEqual(events.filter((event) => event.type === 'start').map((event) => event.alarm.rule).sort(), ['a', 'b', 'c']);
    assert.equal(packets[0]!.qos, 1);
  });

  test('the alarms process killed during delivery and started again: every alarm arrives once per id', async () => {
    reply = 'hold';
    const before = receiver!.requests.length;
    for (const rule of ['d', 'e']) await episode(rule);
    await receiver!.nextRequest((request) => receiver!.requests.indexOf(request) >= before, 'a delivery held open', 20_000);
    await alarms!.child.stop('SIGKILL');
    reply = 204;
    alarms = await start();
    await receiver!.uniqueCount(10, 60_000);
    assert.ok(receiver!.requests.every((request) => request.invalid === null), 'every signature verifies');
    const ids = [...receiver!.unique.keys()];
    assert.equal(new Set(ids).size, 10);
    const perAlarm = new Map<string, string[]>();
    for (const request of receiver!.unique.values()) {
      const body = JSON.parse(request.body) as AlarmWebhookPayload;
      perAlarm.set(body.data.id, [...(perAlarm.get(body.data.id) ?? []), body.type].sort());
    }
    assert.equal(perAlarm.size, 5, 'five alarms');
    for (const types of perAlarm.values()) assert.deepEqual(types, ['alarm.end', 'alarm.start']);
    assert.equal(await alarmCount(), 5, 'the restart recorded no alarm twice');
  });
});
