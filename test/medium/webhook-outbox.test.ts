import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort, spawnManaged, startRedisServer, waitForLine, type ManagedChild, type RedisServerHandle } from '../../scripts/support';
import { WebhookDeadLetters } from '../../libs/redis/src/webhook-dead-letters';
import { webhookMessageId, WebhookOutbox, type WebhookEndpoint, type WebhookOutboxEvents, type WebhookOutboxOptions } from '../../libs/alarms/src/webhooks';
import { alarmWebhookPayload, newWebhookSecret } from '../support/webhook-fixtures';
import { startWebhookReceiver, type Reply, type WebhookReceiver } from '../support/webhook-receiver';

const WORKER_SCRIPT = join(__dirname, '..', 'support', 'webhook-worker-process.js');

/** Resolves after `count` events of one kind (listen before the action that causes them). */
function collect<K extends keyof WebhookOutboxEvents>(outbox: WebhookOutbox, event: K, count: number, timeoutMs = 20_000): Promise<WebhookOutboxEvents[K][0][]> {
  const seen: WebhookOutboxEvents[K][0][] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${count} '${event}' events, got ${seen.length}`)), timeoutMs);
    const listener = (report: WebhookOutboxEvents[K][0]): void => {
      seen.push(report);
      if (seen.length < count) return;
      clearTimeout(timer);
      outbox.off(event, listener as never);
      resolve(seen);
    };
    outbox.on(event, listener as never);
  });
}

describe('webhook outbox (real redis-server, real HTTP receiver)', () => {
  let redis: RedisServerHandle;
  let client: Redis;
  const cleanups: (() => Promise<void>)[] = [];
  const secret = newWebhookSecret();

  const endpoint = (url: string, id = 'test'): WebhookEndpoint => ({ id, url, secret, events: ['alarm.start', 'alarm.end'] });
  /** What a worker process is given (it makes its own dead letters' repository). */
  type WorkerOptions = Omit<WebhookOutboxOptions, 'deadLetters'>;
  const outbox = (options: Omit<WorkerOptions, 'redisUrl'>): WebhookOutbox => {
    const connection = new Redis(redis.url, { maxRetriesPerRequest: 3 });
    const created = new WebhookOutbox({ redisUrl: redis.url, ...options, deadLetters: new WebhookDeadLetters(connection) });
    cleanups.push(async () => {
      await created.close();
      connection.disconnect();
    });
    return created;
  };
  const receiver = async (reply?: (request: { id: string | undefined }) => Reply, port?: number): Promise<WebhookReceiver> => {
    const started = await startWebhookReceiver({ secret, reply, port });
    cleanups.push(() => started.close());
    return started;
  };

  before(async () => {
    redis = await startRedisServer();
    client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  }, { timeout: 20_000 });

  after(async () => {
    client?.disconnect();
    await redis?.stop();
  }, { timeout: 10_000 });

  // Each test starts from an empty queue so a worker never picks up another test's leftovers.
  beforeEach(async () => {
    await client.flushall();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  }, { timeout: 20_000 });

  test('delivers a signed event once, and enqueuing the same event again adds nothing', { timeout: 30_000 }, async () => {
    const hook = await receiver();
    const endsOnly: WebhookEndpoint = { ...endpoint(hook.url, 'ends-only'), events: ['alarm.end'] };
    const box = outbox({ endpoints: [endpoint(hook.url), endsOnly] });
    await box.start();
    const payload = alarmWebhookPayload('alarm.start');

    const delivered = collect(box, 'delivered', 1);
    assert.equal(await box.enqueue(payload), 1, 'only the endpoint subscribed to alarm.start gets a delivery');
    await delivered;
    await hook.uniqueCount(1);

    const [request] = hook.requests;
    assert.equal(request?.invalid, null, 'the receiver verified the signature');
    assert.equal(request?.id, webhookMessageId(payload));
    assert.equal(request?.body, JSON.stringify(payload), 'the body is the payload as enqueued, byte for byte');
    assert.equal(request?.headers['content-type'], 'application/json');
    assert.equal(request?.headers['user-agent'], 'vigil');

    const [delivery, ...others] = await box.deliveries(payload.data.id);
    assert.equal(others.length, 0);
    assert.equal(delivery?.state, 'delivered');
    assert.equal(delivery?.endpointId, 'test');
    assert.equal(delivery?.eventType, 'alarm.start');
    assert.equal(delivery?.attempts, 1);
    assert.equal(delivery?.lastStatus, 204);
    assert.equal(delivery?.lastError, null);
    assert.equal(typeof delivery?.deliveredAt, 'number');

    assert.equal(await box.enqueue(payload), 0, 'a replayed event is a no-op');
    assert.equal((await box.deliveries(payload.data.id)).length, 1);
  });

  test('a receiver that is down at first still gets every event once it is up', { timeout: 30_000 }, async () => {
    const port = await freePort();
    const box = outbox({ endpoints: [endpoint(`http://127.0.0.1:${port}/hook`)], retrySchedule: [0, 300, 600, 1000] });
    const payloads = [alarmWebhookPayload('alarm.start'), alarmWebhookPayload('alarm.start')];
    payloads.push(alarmWebhookPayload('alarm.end', payloads[0]?.data.id));

    const firstFailure = collect(box, 'retrying', 1);
    const delivered = collect(box, 'delivered', payloads.length);
    await box.start();
    for (const payload of payloads) await box.enqueue(payload);
    const [failed] = await firstFailure;
    assert.match(failed?.error ?? '', /ECONNREFUSED/);
    const [retrying] = (await box.deliveries(failed?.alarmId ?? '')).filter((d) => d.messageId === failed?.messageId);
    assert.equal(retrying?.state, 'retrying');
    assert.match(retrying?.lastError ?? '', /POST http:\/\/127\.0\.0\.1:\d+\/\*\*\*: .*ECONNREFUSED/);

    const hook = await receiver(undefined, port);
    await delivered;
    await hook.uniqueCount(payloads.length);
    assert.deepEqual([...hook.unique.keys()].sort(), payloads.map(webhookMessageId).sort());
    for (const payload of payloads) {
      const states = (await box.deliveries(payload.data.id)).filter((d) => d.eventType === payload.type).map((d) => d.state);
      assert.deepEqual(states, ['delivered']);
    }
    const [recovered] = (await box.deliveries(failed?.alarmId ?? '')).filter((d) => d.messageId === failed?.messageId);
    assert.ok((recovered?.attempts ?? 0) >= 2, `delivered on a retry, not the first try (attempts ${recovered?.attempts})`);
    assert.equal(recovered?.lastStatus, 204);
    assert.equal(recovered?.lastError, null, 'the old connection error is not shown as the last error once delivered');
  });

  test('a receiver that always fails: the delivery goes dead after the last try and lands in the dead letters', { timeout: 30_000 }, async () => {
    const hook = await receiver(() => 500);
    const box = outbox({ endpoints: [endpoint(hook.url)], retrySchedule: [0, 50, 100] });
    await box.start();
    const payload = alarmWebhookPayload('alarm.end');

    const dead = collect(box, 'dead', 1);
    await box.enqueue(payload);
    await dead;

    assert.equal(hook.requests.length, 3, 'one request per scheduled try');
    assert.deepEqual(new Set(hook.requests.map((r) => r.id)), new Set([webhookMessageId(payload)]), 'every retry carries the same webhook-id');
    assert.ok(hook.requests.every((r) => r.invalid === null), 'every retry is validly signed (fresh timestamp, same body)');

    const [letter, ...more] = await box.deadLetters();
    assert.equal(more.length, 0);
    assert.deepEqual(letter?.payload, payload);
    assert.deepEqual(letter?.endpoint, { id: 'test', url: `http://127.0.0.1:${hook.port}/***` }, 'the path of a webhook URL is its secret');
    assert.equal(letter?.attempts, 3);
    assert.equal(letter?.lastStatus, 500);
    assert.match(letter?.lastError ?? '', /HTTP 500/);
    assert.equal(await client.llen('vigil:webhooks:dead'), 1, 'the dead letter is in Redis, not only in memory');

    const [delivery] = await box.deliveries(payload.data.id);
    assert.equal(delivery?.state, 'dead');
    assert.equal(delivery?.attempts, 3);
    assert.equal(delivery?.lastStatus, 500);
  });

  test('410 Gone ends the delivery at once instead of retrying for a day', { timeout: 30_000 }, async () => {
    const hook = await receiver(() => 410);
    const box = outbox({ endpoints: [endpoint(hook.url)], retrySchedule: [0, 50, 100, 150] });
    await box.start();
    const payload = alarmWebhookPayload('alarm.start');

    const dead = collect(box, 'dead', 1);
    await box.enqueue(payload);
    await dead;
    assert.equal(hook.requests.length, 1);
    const [letter] = await box.deadLetters();
    assert.equal(letter?.attempts, 1);
    assert.match(letter?.lastError ?? '', /410 Gone/);
  });

  /** Runs a worker in a child process (killable with SIGKILL) and waits until it is connected. */
  const spawnWorker = async (name: string, options: WorkerOptions): Promise<ManagedChild> => {
    const child = spawnManaged(name, process.execPath, [WORKER_SCRIPT, JSON.stringify(options)]);
    cleanups.push(() => child.stop('SIGKILL'));
    await waitForLine(child, /webhook worker ready/, 15_000);
    return child;
  };
  // Short locks so a killed worker's delivery is recovered within a second or two.
  const crashRecovery = { lockDurationMs: 1000, stalledIntervalMs: 500, retrySchedule: [0, 200, 400] };

  test('kill -9 of the delivering process mid-request: a new process delivers it, with the same webhook-id', { timeout: 60_000 }, async () => {
    let holding = true;
    const hook = await receiver(() => (holding ? 'hold' : 204));
    const options: WorkerOptions = { redisUrl: redis.url, endpoints: [endpoint(hook.url)], ...crashRecovery };
    const producer = outbox({ endpoints: options.endpoints });
    const payloads = [alarmWebhookPayload('alarm.start'), alarmWebhookPayload('alarm.start')];
    for (const payload of payloads) await producer.enqueue(payload);

    const first = await spawnWorker('webhook-worker-1', options);
    const held = await hook.nextRequest((r) => r.invalid === null, 'a delivery to be held open');
    await first.stop('SIGKILL');
    holding = false;
    assert.equal(hook.unique.size, 0, 'nothing was acknowledged before the kill');

    const second = await spawnWorker('webhook-worker-2', options);
    await hook.uniqueCount(payloads.length, 30_000);
    // The receiver has answered; wait until the worker has also recorded each delivery as done.
    for (const payload of payloads) await waitForLine(second, new RegExp(`delivered ${webhookMessageId(payload)}`), 15_000);

    assert.deepEqual([...hook.unique.keys()].sort(), payloads.map(webhookMessageId).sort(), 'one unique webhook-id per event');
    assert.ok(hook.requests.filter((r) => r.id === held.id).length >= 2, 'the held event was sent again after the kill');
    for (const payload of payloads) {
      const [delivery] = await producer.deliveries(payload.data.id);
      assert.equal(delivery?.state, 'delivered');
    }
  });

  test('a delivery that keeps killing its worker is given up after maxStalledCount and still reaches the dead letters', { timeout: 60_000 }, async () => {
    const hook = await receiver(() => 'hold');
    const options: WorkerOptions = { redisUrl: redis.url, endpoints: [endpoint(hook.url)], ...crashRecovery, maxStalledCount: 0 };
    const producer = outbox({ endpoints: options.endpoints });
    const payload = alarmWebhookPayload('alarm.end');
    await producer.enqueue(payload);

    const first = await spawnWorker('webhook-worker-1', options);
    await hook.nextRequest(() => true, 'the delivery to start');
    await first.stop('SIGKILL');

    const second = await spawnWorker('webhook-worker-2', options);
    await waitForLine(second, new RegExp(`dead ${webhookMessageId(payload)}`), 15_000);
    assert.equal(hook.requests.length, 1, 'given up without sending again');
    const [letter] = await producer.deadLetters();
    assert.equal(letter?.messageId, webhookMessageId(payload));
    assert.match(letter?.lastError ?? '', /stalled more than allowable limit/);
    const [delivery] = await producer.deliveries(payload.data.id);
    assert.equal(delivery?.state, 'dead');
  });

  test('close() lets a delivery in flight finish instead of abandoning it', { timeout: 30_000 }, async () => {
    const hook = await receiver(() => 'hold');
    const box = outbox({ endpoints: [endpoint(hook.url)] });
    await box.start();
    const payload = alarmWebhookPayload('alarm.start');
    await box.enqueue(payload);
    await hook.nextRequest(() => true, 'the delivery to start');

    const closing = box.close();
    hook.releaseHeld(204);
    await closing;

    const observer = outbox({ endpoints: [endpoint(hook.url)] });
    const [delivery] = await observer.deliveries(payload.data.id);
    assert.equal(delivery?.state, 'delivered', 'a forced close would have left it active, to be redelivered after the lock expires');
  });
});
