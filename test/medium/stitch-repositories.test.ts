/**
 * The registry and repositories a panorama uses, on a real redis-server. Guards against: a panorama written without
 * the inputs made for it (or those without it) when an id is taken or MAX_CAMERAS is reached, two requests together
 * passing MAX_CAMERAS, a removed panorama whose status or stored calibration stays behind, and a hostile stored
 * calibration that is used.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import Redis from 'ioredis';
import { cameraConfigSchema, keys, type CameraConfig } from '@vigil/contracts';
import { loadConfig } from '@vigil/config';
import { CameraRegistry, CameraStatuses, RedisConnections, StitchCalibrations, StitchStatuses, type StoredCalibration } from '@vigil/redis';
import { startRedisServer, type RedisServerHandle } from '../../scripts/support';
import { sideBySideCalibration } from '../support/stitch-fixtures';

const camera = (id: string, url: string, partOf?: string): CameraConfig => cameraConfigSchema.parse({ id, url, ...(partOf ? { partOf } : {}) });
const stored: StoredCalibration = {
  camera: 'pano',
  inputs: ['pano-left', 'pano-right'],
  calibration: sideBySideCalibration(),
};

describe('panorama records in a real redis-server', () => {
  let redis: RedisServerHandle;
  let client: Redis;
  let connections: RedisConnections;
  let registry: CameraRegistry;
  let calibrations: StitchCalibrations;
  let statuses: StitchStatuses;
  const panorama = () => [camera('pano-left', 'test://ball', 'pano'), camera('pano-right', 'test://smpte', 'pano'), camera('pano', 'stitch://pano-left,pano-right')];

  before(async () => {
    redis = await startRedisServer();
    client = new Redis(redis.url);
    connections = new RedisConnections(loadConfig({ REDIS_URL: redis.url }));
    registry = new CameraRegistry(connections, new CameraStatuses(connections));
    registry.onModuleInit();
    calibrations = new StitchCalibrations(connections);
    statuses = new StitchStatuses(connections);
  });

  beforeEach(async () => {
    await client.flushall();
  });

  after(async () => {
    await connections?.onApplicationShutdown();
    await client?.quit();
    await redis?.stop();
  });

  test('addAll writes a panorama and its inputs together, or nothing when one id is taken', async () => {
    await registry.put(camera('pano-right', 'test://snow'), { max: 10, create: true });
    assert.deepEqual(await registry.addAll(panorama(), { max: 10 }), { outcome: 'exists', id: 'pano-right' });
    assert.deepEqual(await client.hkeys(keys.cameras), ['pano-right']);
    await registry.remove('pano-right');
    assert.deepEqual(await registry.addAll(panorama(), { max: 10 }), { outcome: 'added' });
    assert.deepEqual((await registry.list()).map((entry) => entry.id), ['pano', 'pano-left', 'pano-right']);
  });

  test('addAll counts every camera it adds against MAX_CAMERAS, also when requests race', async () => {
    await registry.put(camera('gate', 'test://ball'), { max: 10, create: true });
    assert.deepEqual(await registry.addAll(panorama(), { max: 3 }), { outcome: 'full' });
    assert.equal(await client.hlen(keys.cameras), 1);
    // two panoramas of three cameras each at once, room for one of them
    const other = panorama().map((entry) => ({ ...entry, id: entry.id.replace('pano', 'other'), ...(entry.partOf ? { partOf: 'other' } : {}), url: entry.url.replace(/pano/g, 'other') }));
    const outcomes = await Promise.all([registry.addAll(panorama(), { max: 4 }), registry.addAll(other, { max: 4 })]);
    assert.deepEqual(outcomes.map((outcome) => outcome.outcome).sort(), ['added', 'full']);
    assert.equal(await client.hlen(keys.cameras), 4);
  });

  test('removeAll takes the cameras with their statuses and stored calibration, in one step', async () => {
    await registry.addAll(panorama(), { max: 10 });
    await calibrations.put(stored);
    await statuses.put({ camera: 'pano', state: 'live', inputs: ['pano-left', 'pano-right'], owner: 's', pairs: 1, missed: [0, 0], skipped: 0, published: 1, calibrations: 1, fps: 1, since: 1, updatedAt: 1 });
    assert.equal(await registry.removeAll(['pano', 'pano-left', 'pano-right']), 3);
    for (const key of [keys.cameras, keys.stitchStatus, keys.stitchCalibration, keys.cameraStatus]) assert.equal(await client.hlen(key), 0, key);
  });

  test('a stored calibration is read back checked: a hostile one is skipped, never used', async () => {
    await calibrations.put(stored);
    assert.deepEqual(await calibrations.get('pano'), stored);
    const hostile = { ...stored, calibration: { ...stored.calibration, homography: [1, 0, 'NaN', 0, 1, 0, 0, 0, 1] } };
    await client.hset(keys.stitchCalibration, 'pano', JSON.stringify(hostile));
    assert.equal(await calibrations.get('pano'), undefined);
    await client.hset(keys.stitchCalibration, 'pano', JSON.stringify({ ...stored, camera: 'other' }));
    assert.equal(await calibrations.get('pano'), undefined, 'a record filed under another id');
  });
});
