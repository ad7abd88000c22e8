/**
 * The violations stream's consumer against a real redis-server: a poison entry (its handler throws every time) is
 * dead-lettered after a few tries and never holds up the entries behind it, also after a restart with the same
 * consumer name (it used to re-read its pending entries in a loop forever); and when Redis comes back empty the
 * consumer group is created again, once, and reading carries on (it used to log NOGROUP every second forever).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import Redis from 'ioredis';
import { StreamConsumer, type DeadLetteredEntry, type StreamConsumerOptions, type StreamEntry } from '../../libs/redis/src/stream-consumer';
import { startRedisServer, type RedisServerHandle } from '../../scripts/support';
import { reportFault } from '../support/fault-report';
import { waitFor } from '../support/wait';

const STREAM = 'test:violations';
const DEAD = 'test:violations:dead';
const GROUP = 'alarms';

describe('stream consumer (real redis-server)', () => {
  let redis: RedisServerHandle;
  let probe: Redis;
  const running: { consumer: StreamConsumer; connection: Redis }[] = [];

  /** What one consumer saw: handled entries (in order), errors, dead letters, group re-creations. */
  function consume(handle: (entry: StreamEntry) => Promise<void>, options: Partial<StreamConsumerOptions> = {}) {
    const seen = { handled: [] as string[], errors: [] as string[], dead: [] as DeadLetteredEntry[], recreated: 0 };
    const connection = new Redis(redis.url, { maxRetriesPerRequest: 3 });
    connection.on('error', () => undefined);
    const consumer = new StreamConsumer(connection, {
      stream: STREAM,
      group: GROUP,
      consumer: 'alarms-1',
      deadLetterStream: DEAD,
      retryMs: 100,
      maxDeliveries: 3,
      blockMs: 200,
      ...options,
      handle: async (entry) => {
        await handle(entry);
        seen.handled.push(entry.fields.n!);
      },
      onError: (error) => seen.errors.push(error.message),
      onDeadLetter: (letter) => seen.dead.push(letter),
      onGroupRecreated: () => (seen.recreated += 1),
    });
    running.push({ consumer, connection });
    return { consumer, seen };
  }

  const write = async (...ns: string[]): Promise<string[]> => Promise.all(ns.map(async (n) => (await probe.xadd(STREAM, '*', 'n', n))!));
  const poison = async (entry: StreamEntry): Promise<void> => {
    if (entry.fields.n === 'poison') throw new Error('this entry always fails');
  };

  before(async () => {
    redis = await startRedisServer();
    probe = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    probe.on('error', () => undefined);
  });

  beforeEach(async () => {
    await probe.flushall();
  });

  afterEach(async () => {
    for (const { consumer, connection } of running.splice(0)) {
      await consumer.stop();
      connection.disconnect();
    }
  });

  after(async () => {
    probe?.disconnect();
    await redis?.stop();
  });

  test('a poison entry is dead-lettered after maxDeliveries tries; the entries behind it are handled meanwhile', { timeout: 30_000 }, async () => {
    const { consumer, seen } = consume(poison);
    await consumer.start();
    const [poisonId] = await write('poison', 'a', 'b');
    await waitFor('a and b handled', () => seen.handled.includes('a') && seen.handled.includes('b'));
    await waitFor('the poison entry dead-lettered', () => seen.dead.length === 1);

    const [letter] = seen.dead;
    assert.equal(letter!.entry.id, poisonId);
    assert.equal(letter!.deliveries, 3, 'tried maxDeliveries times');
    assert.equal(seen.errors.filter((line) => line === 'this entry always fails').length, 3, 'each try reported once');
    const dead = await probe.xrange(DEAD, '-', '+');
    assert.equal(dead.length, 1);
    const fields = Object.fromEntries(chunk(dead[0]![1]));
    assert.deepEqual({ stream: fields.stream, id: fields.id, group: fields.group, deliveries: fields.deliveries, error: fields.error }, { stream: STREAM, id: poisonId, group: GROUP, deliveries: '3', error: 'this entry always fails' });
    assert.deepEqual(JSON.parse(fields.fields!), { n: 'poison' }, 'the entry itself is kept for a person to look at or replay');
    assert.equal(await pendingCount(probe), 0, 'acknowledged: nothing pending');

    // nothing is stuck: a later entry is handled, and the dead letter is not tried again
    await write('c');
    await waitFor('c handled', () => seen.handled.includes('c'));
    assert.equal(seen.dead.length, 1);
  });

  test('after a restart with the same consumer name, its pending poison entry does not block new entries', { timeout: 30_000 }, async () => {
    // the first run fails the poison entry once and stops (as if the process was restarted), leaving it pending
    const first = consume(poison, { maxDeliveries: 100, retryMs: 60_000 });
    await first.consumer.start();
    await write('poison');
    await waitFor('the first try failed', () => first.seen.errors.length === 1);
    await first.consumer.stop();
    assert.equal(await pendingCount(probe), 1);

    await write('after-1', 'after-2');
    const second = consume(poison);
    const restartedAt = Date.now();
    await second.consumer.start();
    await waitFor('the entries written during the restart handled', () => second.seen.handled.length === 2);
    const flowingAt = Date.now();
    assert.deepEqual(second.seen.handled, ['after-1', 'after-2'], 'in order');
    await waitFor('the poison entry dead-lettered', () => second.seen.dead.length === 1);
    // one failed try in the first run, two in the second
    assert.equal(second.seen.dead[0]!.deliveries, 3);
    assert.equal(second.seen.errors.filter((line) => line === 'this entry always fails').length, 2);
    assert.equal(await pendingCount(probe), 0);
    reportFault({
      fault: 'a poison entry in the violations stream, across a restart',
      recoveryMs: flowingAt - restartedAt,
      lost: { violations: 2 - second.seen.handled.length },
      note: `the entries behind it handled ${flowingAt - restartedAt} ms after the restart, the poison entry dead-lettered after ${second.seen.dead[0]!.deliveries} deliveries`,
    });
  });

  test('Redis restarted empty: the group is created again, once, and new entries are read', { timeout: 60_000 }, async () => {
    const { consumer, seen } = consume(async () => undefined);
    await consumer.start();
    await write('before');
    await waitFor('the entry before the restart handled', () => seen.handled.includes('before'));

    await redis.stop();
    redis = await startRedisServer({ port: redis.port });
    // the consumer reconnects and finds neither stream nor group; writing creates the stream only
    await waitFor('the group re-created', () => seen.recreated === 1, 30_000);
    await write('after');
    await waitFor('the entry after the restart handled', () => seen.handled.includes('after'), 30_000);
    assert.deepEqual(seen.handled, ['before', 'after']);
    assert.equal(seen.recreated, 1, 'logged once');
    assert.ok(!seen.errors.some((line) => /NOGROUP/.test(line)), `no NOGROUP error reported: ${seen.errors.join(' | ')}`);
    // the outage is a few lines (each distinct error once), not one a second
    assert.ok(seen.errors.length <= 5, `errors reported during the outage: ${seen.errors.join(' | ')}`);
  });
});

async function pendingCount(redis: Redis): Promise<number> {
  const summary = (await redis.xpending(STREAM, GROUP)) as [number, ...unknown[]];
  return summary[0];
}

function chunk(fields: string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) pairs.push([fields[i]!, fields[i + 1]!]);
  return pairs;
}
