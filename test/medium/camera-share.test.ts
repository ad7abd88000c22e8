/**
 * Replicas dividing the cameras, against a real redis-server: each camera is run by exactly one replica at every
 * step, the replicas settle on equal shares, and the cameras of a replica that leaves or dies are taken over.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { keys } from '@vigil/contracts';
import { CameraShare } from '../../libs/redis/src/camera-share';
import { startRedisServer, type RedisServerHandle } from '../../scripts/support';
import { waitFor } from '../support/wait';

const LEASE_MS = 1500;
const CAMERAS = ['dock', 'gate', 'yard', 'roof', 'hall', 'lab'];

describe('CameraShare against a real redis-server', { timeout: 60_000 }, () => {
  let redis: RedisServerHandle;
  let client: Redis;
  let a: CameraShare;
  let b: CameraShare;
  const owned = new Map<CameraShare, Set<string>>();

  before(async () => {
    redis = await startRedisServer();
    client = new Redis(redis.url);
    a = new CameraShare(client, 'inference', 'replica-a', LEASE_MS);
    b = new CameraShare(client, 'inference', 'replica-b', LEASE_MS);
  });

  after(async () => {
    await client?.quit();
    await redis?.stop();
  });

  /** One reconcile of `share`; fails if any camera is then run by two replicas. */
  const step = async (share: CameraShare): Promise<Set<string>> => {
    owned.set(share, await share.reconcile(CAMERAS));
    const [first, second] = [owned.get(a) ?? new Set(), owned.get(b) ?? new Set()];
    const both = [...first].filter((camera) => second.has(camera));
    assert.deepEqual(both, [], 'no camera is run by two replicas');
    return owned.get(share)!;
  };

  test('the first replica runs everything; a second one joins and they settle on three each, never both on one', async () => {
    assert.equal((await step(a)).size, 6);
    assert.equal((await step(b)).size, 0, "b's cameras are still leased to a");
    assert.equal((await step(a)).size, 3, 'a lets go of what falls to b');
    assert.equal((await step(b)).size, 3, 'and b takes them');
    assert.deepEqual([...owned.get(a)!, ...owned.get(b)!].sort(), [...CAMERAS].sort());
    assert.equal(await client.get(keys.cameraLease('inference', [...owned.get(b)!][0]!)), 'replica-b');
  });

  test('a replica that leaves hands its cameras over at the others next reconcile', async () => {
    await b.leave(owned.get(b)!);
    owned.set(b, new Set());
    assert.equal((await step(a)).size, 6);
  });

  test('a replica that dies: its cameras are taken over once its heartbeat and leases run out', async () => {
    await step(b);
    await step(a);
    assert.equal((await step(b)).size, 3);
    // b is killed: it runs nothing any more, but a keeps to its share until b's heartbeat and leases expire
    owned.set(b, new Set());
    assert.equal((await step(a)).size, 3);
    await waitFor('a to take over all six cameras', async () => (await step(a)).size === 6, 10_000, 200);
  });

  test("a camera leased by someone else is not run until that lease is let go or runs out", async () => {
    await client.set(keys.cameraLease('inference', 'gate'), 'replica-elsewhere', 'PX', LEASE_MS);
    assert.ok(!(await a.reconcile(CAMERAS)).has('gate'));
    await client.del(keys.cameraLease('inference', 'gate'));
    assert.ok((await a.reconcile(CAMERAS)).has('gate'));
  });
});
