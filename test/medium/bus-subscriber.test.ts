/**
 * BusSubscriber against a real redis-server. The bug: all cameras shared one subscriber connection, and Redis
 * closes a subscriber whose unread messages pass `client-output-buffer-limit pubsub`; one camera with huge frames
 * cut every camera's messages with it, again and again. Now each camera has its own connection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { loadConfig } from '@vigil/config';
import { channels } from '@vigil/contracts';
import { BusSubscriber } from '../../libs/redis/src/frame-subscriber';
import { RedisConnections } from '../../libs/redis/src/redis-connections';
import { startRedisServer, type RedisServerHandle } from '../../scripts/support';
import { waitFor } from '../support/wait';

/** Redis's pub/sub output limit, lowered from 32 MiB so that the test's messages stay small */
const HARD_LIMIT = 1024 * 1024;

describe('BusSubscriber against a real redis-server', { timeout: 60_000 }, () => {
  let redis: RedisServerHandle;
  let admin: Redis;
  let connections: RedisConnections;
  let bus: BusSubscriber;

  /** connection id of each client by name, e.g. `vigil:bus:yard` */
  const clients = async (): Promise<Map<string, string>> => {
    const list = (await admin.client('LIST')) as string;
    const named = list
      .split('\n')
      .map((line) => Object.fromEntries(line.split(' ').map((field) => field.split('=') as [string, string])))
      .filter((fields) => fields.name?.startsWith('vigil:bus:'));
    return new Map(named.map((fields) => [fields.name!, fields.id!]));
  };
  const numsub = async (channel: string): Promise<number> => Number(((await admin.pubsub('NUMSUB', channel)) as [string, number])[1]);

  before(async () => {
    redis = await startRedisServer();
    admin = new Redis(redis.url);
    await admin.config('SET', 'client-output-buffer-limit', `pubsub ${HARD_LIMIT} ${HARD_LIMIT / 4} 60`);
    connections = new RedisConnections(loadConfig({ REDIS_URL: redis.url }));
    bus = new BusSubscriber(connections);
  });

  after(async () => {
    await connections?.onApplicationShutdown();
    await admin?.quit();
    await redis?.stop();
  });

  test("one connection per camera, named for it, closed with the camera's last channel", async () => {
    const handler = (): void => undefined;
    await bus.add('yard', channels.frames('yard', 'raw'), handler);
    await bus.add('yard', channels.detections('yard'), handler);
    await bus.add('gate', channels.frames('gate', 'raw'), handler);
    assert.deepEqual([...(await clients()).keys()].sort(), ['vigil:bus:gate', 'vigil:bus:yard']);
    assert.equal(await numsub(channels.frames('yard', 'raw')), 1);
    assert.deepEqual(bus.subscribedChannels().sort(), [channels.detections('yard'), channels.frames('gate', 'raw'), channels.frames('yard', 'raw')].sort());

    await bus.remove('yard', channels.frames('yard', 'raw'), handler);
    assert.equal(await numsub(channels.frames('yard', 'raw')), 0);
    assert.ok((await clients()).has('vigil:bus:yard'), 'yard still has its detections');
    await bus.remove('yard', channels.detections('yard'), handler);
    await bus.remove('gate', channels.frames('gate', 'raw'), handler);
    await waitFor('no bus connection left', async () => (await clients()).size === 0);
    assert.deepEqual(bus.subscribedChannels(), []);
  });

  test("a camera whose messages pass Redis's pub/sub output limit loses only its own connection", async () => {
    const received = { huge: 0, small: [] as number[] };
    await bus.add('huge', channels.frames('huge', 'raw'), () => (received.huge += 1));
    await bus.add('small', channels.frames('small', 'raw'), (message) => received.small.push(message.readUInt32BE(0)));
    const before = await clients();
    const publisher = new Redis(redis.url);
    try {
      const small = (n: number): Buffer => {
        const message = Buffer.alloc(20_000, 7);
        message.writeUInt32BE(n, 0);
        return message;
      };
      let receivers = 0;
      for (let n = 0; n < 200; n++) {
        // a message over the hard limit, which Redis answers by closing the subscriber that was to get it
        if (n % 50 === 0) await publisher.publish(channels.frames('huge', 'raw'), Buffer.alloc(2 * HARD_LIMIT, 1));
        // PUBLISH says how many subscribers it reached: over one shared connection, 0 until it was back
        receivers += await publisher.publish(channels.frames('small', 'raw'), small(n));
      }
      assert.equal(receivers, 200, 'every message of the other camera reached its subscriber');
      await waitFor('all 200 messages of the other camera', () => received.small.length === 200);
      assert.deepEqual(received.small, [...Array(200).keys()], 'none lost, in order');
      assert.equal(received.huge, 0, 'Redis dropped the oversized ones');

      const after = await waitFor('the huge camera connected again', async () => {
        const now = await clients();
        return now.get('vigil:bus:huge') !== before.get('vigil:bus:huge') && (await numsub(channels.frames('huge', 'raw'))) === 1 ? now : undefined;
      });
      assert.equal(after.get('vigil:bus:small'), before.get('vigil:bus:small'), "the other camera's connection was never closed");
      await publisher.publish(channels.frames('huge', 'raw'), Buffer.from('a normal message'));
      await waitFor('the huge camera receives again once it behaves', () => received.huge === 1);
    } finally {
      await publisher.quit();
    }
  });
});
