/**
 * RegistryFollower, the loop ingest, inference, egress and clip capture share, on fakes. Guards against what the
 * four copies had drifted into: passes that overlap, a timer killed by one failing pass, a changed camera left on
 * its old config, a camera still run after shutdown, a flood of the same warning every 2 s.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CameraConfig } from '@vigil/contracts';
import { FOLLOWER_DEFAULTS, reconcileIntervalMs, RegistryFollower, type FollowerHooks, type FollowerStopReason, type RegistryFollowerOptions } from '@vigil/kernel';
import { camera, FakeRegistry, FakeShare, fakeFollowers, RecordingLogger } from '../support/follower-fakes';
import { waitFor } from '../support/wait';

interface Setup {
  follower: RegistryFollower;
  registry: FakeRegistry;
  share: FakeShare;
  logger: RecordingLogger;
  /** what the hooks were called with, in order */
  calls: string[];
}

function follow(cameras: CameraConfig[], options: Partial<RegistryFollowerOptions> = {}): Setup {
  const registry = new FakeRegistry(cameras);
  const share = new FakeShare();
  const logger = new RecordingLogger();
  const calls: string[] = [];
  const hooks: FollowerHooks = {
    start: (entry) => void calls.push(`start ${entry.id} fps ${entry.fps}`),
    stop: (id: string, reason: FollowerStopReason) => void calls.push(`stop ${id} ${reason}`),
  };
  const follower = new RegistryFollower({ name: 'test', filter: (entry) => entry.enabled, registry, share, logger, intervalMs: 60_000, ...hooks, ...options });
  return { follower, registry, share, logger, calls };
}

describe('RegistryFollower', () => {
  test('runs the cameras the filter takes and the share owns; stops removed (releasing the lease), moved (keeping quiet about the lease) and restarts changed ones', async () => {
    const { follower, registry, share, calls } = follow([camera({ id: 'a' }), camera({ id: 'b' }), camera({ id: 'off', enabled: false }), camera({ id: 'c' })]);
    share.owned = new Set(['a', 'b', 'off']);
    await follower.start();
    assert.deepEqual(calls.splice(0), ['start a fps 15', 'start b fps 15']);
    assert.deepEqual([...follower.cameras().keys()], ['a', 'b']);
    assert.deepEqual([...follower.registered].sort(), ['a', 'b', 'c', 'off'], 'every camera of the registry, filtered or not');

    registry.cameras.delete('a');
    registry.set(camera({ id: 'b', fps: 5 }));
    share.owned = new Set(['b', 'c']);
    await follower.reconcile();
    assert.deepEqual(calls.splice(0), ['stop a removed', 'stop b changed', 'start b fps 5', 'start c fps 15']);
    assert.deepEqual(share.released, ['a']);

    share.owned = new Set(['b']);
    await follower.reconcile();
    assert.deepEqual(calls.splice(0), ['stop c moved']);
    assert.deepEqual(share.released, ['a'], 'a moved camera is not released: CameraShare.reconcile already let go of it');
    await follower.stop();
  });

  test('a `changed` hook replaces the restart (clip capture keeps its ring)', async () => {
    const changes: string[] = [];
    const { follower, registry, calls } = follow([camera({ id: 'a' })], { changed: (entry, previous) => void changes.push(`${entry.id} ${previous.fps} -> ${entry.fps}`) });
    await follower.start();
    registry.set(camera({ id: 'a', fps: 5 }));
    await follower.reconcile();
    await follower.reconcile();
    assert.deepEqual(changes, ['a 15 -> 5'], 'once: the follower now knows the new config');
    assert.deepEqual(calls, ['start a fps 15']);
    assert.equal(follower.cameras().get('a')?.fps, 5);
    await follower.stop();
  });

  test('without a share it runs every camera the filter takes, and releases nothing', async () => {
    const { follower, registry, calls } = follow([camera({ id: 'a' }), camera({ id: 'b' })], { share: undefined });
    await follower.start();
    registry.cameras.delete('b');
    await follower.reconcile();
    await follower.stop();
    assert.deepEqual(calls, ['start a fps 15', 'start b fps 15', 'stop b removed', 'stop a shutdown']);
  });

  test('calls while a pass runs coalesce into one more pass', async () => {
    const { follower, registry } = follow([camera({ id: 'a' })]);
    let open!: () => void;
    registry.gate = new Promise<void>((resolve) => (open = resolve));
    const calls = Array.from({ length: 5 }, () => follower.reconcile());
    open();
    await Promise.all(calls);
    assert.equal(registry.lists, 2, 'the pass running, and one more for the four calls made meanwhile');
    await follower.stop();
  });

  test('a failing pass is logged once and the timer goes on: the cameras start when the registry answers again', async () => {
    const { follower, registry, logger, calls } = follow([camera({ id: 'a' })], { intervalMs: 10 });
    registry.fail = new Error('connect ECONNREFUSED');
    await follower.start();
    await waitFor('three failed passes', () => registry.lists >= 3);
    assert.equal(logger.at('warn', /ECONNREFUSED/).length, 1, 'warned once');
    assert.ok(logger.at('debug', /ECONNREFUSED/).length >= 1, 'the repeats at debug');
    registry.fail = undefined;
    await waitFor('the camera started by the timer', () => calls.includes('start a fps 15'));
    assert.deepEqual(logger.at('log', /again/), ['following the camera registry again']);
    await follower.stop();
  });

  test('a start that throws is undone (stop "failed"), warned once, and tried again at the next pass', async () => {
    let tries = 0;
    const stops: string[] = [];
    const { follower, logger } = follow([camera({ id: 'a' })], {
      start: () => {
        tries += 1;
        if (tries < 3) throw new Error('no encoder');
      },
      stop: (id, reason) => void stops.push(`${id} ${reason}`),
    });
    await follower.start();
    await follower.reconcile();
    assert.equal(follower.cameras().size, 0);
    assert.deepEqual(stops, ['a failed', 'a failed']);
    assert.equal(logger.at('warn', /camera a: cannot start test: no encoder/).length, 1);
    await follower.reconcile();
    assert.deepEqual([...follower.cameras().keys()], ['a']);
    assert.deepEqual(logger.at('log', /camera a: test started after all/).length, 1);
    await follower.stop();
  });

  test('a stop that throws is logged with its camera, and the pass goes on', async () => {
    const { follower, registry, logger, calls } = follow([camera({ id: 'a' }), camera({ id: 'b' })], {
      stop: (id) => {
        if (id === 'a') throw new Error('bus gone');
        calls.push(`stop ${id}`);
      },
    });
    await follower.start();
    registry.cameras.clear();
    await follower.reconcile();
    assert.deepEqual(logger.at('warn', /camera a: cannot stop test \(removed\): bus gone/).length, 1);
    assert.ok(calls.includes('stop b'));
    assert.equal(follower.cameras().size, 0);
    await follower.stop();
  });

  test('stop() waits for the pass in flight, stops every camera it runs and leaves the share with them; no pass after', async () => {
    const { follower, registry, share, calls } = follow([camera({ id: 'a' })]);
    await follower.start();
    registry.set(camera({ id: 'b' }));
    let open!: () => void;
    registry.gate = new Promise<void>((resolve) => (open = resolve));
    const inFlight = follower.reconcile();
    const stopped = follower.stop();
    open();
    await Promise.all([inFlight, stopped]);
    // the pass in flight read the registry, but starts nothing once the stop began
    assert.deepEqual(calls, ['start a fps 15', 'stop a shutdown']);
    assert.deepEqual(share.left, ['a']);
    const lists = registry.lists;
    await follower.reconcile();
    assert.equal(registry.lists, lists, 'no pass after stop()');
    assert.equal(follower.cameras().size, 0);
  });

  test('a share that cannot be left is logged, and stop() still resolves', async () => {
    const { follower, share, logger } = follow([camera({ id: 'a' })]);
    share.leave = async () => {
      throw new Error('redis down');
    };
    await follower.start();
    await follower.stop();
    assert.deepEqual(logger.at('warn', /cannot leave the test replicas: redis down/).length, 1);
  });
});

describe('RegistryFollowers', () => {
  test('one timer formula: a few passes per lease, at most the cap apart; without leases the cap', () => {
    assert.equal(reconcileIntervalMs(15_000), FOLLOWER_DEFAULTS.maxIntervalMs);
    assert.equal(reconcileIntervalMs(3000), 1000);
    assert.equal(reconcileIntervalMs(1000), 333);
    assert.equal(reconcileIntervalMs(), FOLLOWER_DEFAULTS.maxIntervalMs);
  });

  test('the control message makes every follower of the process pass again; a stopped one is forgotten', async () => {
    const registry = new FakeRegistry([camera({ id: 'a' })]);
    const { followers, shares } = fakeFollowers(registry);
    const started: string[] = [];
    const hooks = (name: string) => ({ start: (entry: CameraConfig) => void started.push(`${name} ${entry.id}`), stop: () => undefined, logger: new RecordingLogger() });
    const ingest = followers.create({ name: 'ingest', share: 'ingest', filter: () => true, ...hooks('ingest') });
    const clips = followers.create({ name: 'clips', share: 'none', filter: () => true, ...hooks('clips') });
    assert.deepEqual([...shares.keys()], ['ingest'], 'a share only for the role that asked for one');
    await followers.reconcileAll();
    assert.deepEqual(started.sort(), ['clips a', 'ingest a']);
    await clips.stop();
    const lists = registry.lists;
    await followers.reconcileAll();
    assert.equal(registry.lists, lists + 1, 'only the follower still running passed');
    await ingest.stop();
  });
});
