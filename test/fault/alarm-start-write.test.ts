/**
 * Fault 6: an alarm.start webhook is never lost. The alarms service (alone, a separate process) reads a violation,
 * and Redis goes down while the alarm's record is being written, so the write fails; Redis comes back with its data.
 * The violation was not acknowledged, so it is handled again and the alarm starts then: its start webhook arrives
 * exactly once, then its end, with the same alarm id. (It used to open the episode in memory before the write, so
 * the second try saw an open alarm and the start was never recorded nor sent.)
 *
 * The moment is chosen, not raced: a proxy holds the alarm store's connection, so its write waits in the proxy
 * while Redis is stopped, and fails with the connection.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { keys, type AlarmWebhookPayload, type ViolationEvent } from '@vigil/contracts';
import { startRedisServer, startVigil, type RedisServerHandle, type VigilHandle } from '../../scripts/support';
import { reportFault } from '../support/fault-report';
import { HeldProxy } from '../support/held-proxy';
import { waitFor } from '../support/wait';
import { newWebhookSecret } from '../support/webhook-fixtures';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

describe('Redis down while an alarm start is written', { timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-redis-data-'));
  const secret = newWebhookSecret();
  let redis: RedisServerHandle;
  let proxy: HeldProxy;
  let probe: Redis;
  let receiver: WebhookReceiver;
  let alarms: VigilHandle;

  before(async () => {
    redis = await startRedisServer({ dataDir });
    proxy = await HeldProxy.start(redis.port);
    probe = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    probe.on('error', () => undefined);
    receiver = await startWebhookReceiver({ secret });
    alarms = await startVigil({
      app: 'alarms',
      redisUrl: proxy.url,
      env: {
        INSTANCE_ID: 'alarms-under-test',
        // longer than the outage and the retry: the tried-again violation must find the episode not yet open, not
        // ended (a short quiet time would let a lost start pass as a new alarm with the same id)
        ALARM_QUIET_SECONDS: '8',
        ALARM_COOLDOWN_SECONDS: '0',
        WEBHOOK_URL: receiver.url,
        WEBHOOK_SECRET: secret,
        WEBHOOK_RETRY_SECONDS: '0,1,1,1,1,1,1,1',
      },
    });
  });

  after(async () => {
    proxy?.release();
    await alarms?.stop();
    await receiver?.close();
    probe?.disconnect();
    await proxy?.stop();
    await redis?.stop();
  });

  test('the start webhook arrives exactly once, then the end, same alarm', async () => {
    proxy.hold('vigil:alarm-store');
    const ts = Date.now();
    const violation: ViolationEvent = { camera: 'gate', rule: 'no-entry', kind: 'intrusion', classes: ['person'], score: 0.9, detections: [], seq: ts, ts, frames: 1 };
    await probe.xadd(keys.violations, '*', 'camera', 'gate', 'rule', 'no-entry', 'event', JSON.stringify(violation));
    await waitFor('the alarm record write waiting in the proxy', () => proxy.waitingText().includes(keys.alarm('')));

    // Redis goes away with the write in flight; it keeps its data (append-only file), the pending violation with it.
    // The proxy goes too: one that accepts connections it cannot serve would look like a Redis that is up.
    const failed = waitFor('the handler failed', () => alarms.child.lastLines().some((line) => /violations entry \S+: /.test(line.text)), 30_000);
    await redis.stop();
    await proxy.stop();
    await failed;
    assert.equal(receiver.requests.length, 0, 'nothing was sent while the write failed');

    redis = await startRedisServer({ port: redis.port, dataDir });
    proxy = await HeldProxy.start(redis.port, '127.0.0.1', proxy.port);
    const back = Date.now();
    const start = await receiver.nextRequest((request) => request.body.includes('"alarm.start"'), 'the alarm.start webhook', 30_000);
    const recoveryMs = Date.now() - back;
    await receiver.nextRequest((request) => request.body.includes('"alarm.end"'), 'the alarm.end webhook', 30_000);

    const bodies = receiver.requests.map((request) => JSON.parse(request.body) as AlarmWebhookPayload);
    assert.equal(bodies.filter((body) => body.type === 'alarm.start').length, 1, 'the start arrived exactly once');
    assert.equal(new Set(bodies.map((body) => body.data.id)).size, 1, 'start and end are the same alarm');
    assert.equal(start.invalid, null, 'signed');
    assert.equal(await probe.zcard(keys.alarmIndex()), 1, 'one alarm recorded');
    await waitFor('the violation acknowledged', async () => ((await probe.xpending(keys.violations, keys.violationsGroup)) as [number])[0] === 0);
    assert.equal(await probe.xlen(keys.violationsDeadLetters), 0, 'not dead-lettered');

    reportFault({ fault: 'Redis down during an alarm start write', recoveryMs, lost: { alarms: 0, webhooks: 0 }, note: 'from Redis back to the start webhook' });
  });
});
