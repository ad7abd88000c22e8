/**
 * Records read back from Redis are checked like any input. Guards against: a `jpegQuality` of
 * `"80 ! ... filesink ..."` written straight into the registry hash went into the pipeline unquoted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { keys, type CameraStatus } from '@vigil/contracts';
import { loadConfig } from '@vigil/config';
import { CameraRegistry, CameraStatuses, InferenceStatuses, RedisConnections } from '@vigil/redis';
import { startRedisServer, type RedisServerHandle } from '../../scripts/support';

const good = { id: 'gate', url: 'test://ball', enabled: true, codec: 'auto', decoder: 'auto', transport: 'tcp', realtime: true, jpegQuality: 80 };
const goodStatus: CameraStatus = { id: 'gate', state: 'live', frames: 10, fps: 25, reconnects: 0, since: 1, updatedAt: 2 };

describe('CameraRegistry reads records from a real redis-server as untrusted input', () => {
  let redis: RedisServerHandle;
  let client: Redis;
  let connections: RedisConnections;
  let registry: CameraRegistry;
  let statuses: CameraStatuses;
  let inference: InferenceStatuses;
  const warnings: string[] = [];

  before(async () => {
    redis = await startRedisServer();
    client = new Redis(redis.url);
    connections = new RedisConnections(loadConfig({ REDIS_URL: redis.url }));
    statuses = new CameraStatuses(connections);
    inference = new InferenceStatuses(connections);
    registry = new CameraRegistry(connections, statuses);
    registry.onModuleInit();
    const original = Logger.prototype.warn;
    Logger.prototype.warn = function (this: Logger, message: unknown) {
      warnings.push(String(message));
      return original.call(this, message);
    };
  });

  after(async () => {
    await connections?.onApplicationShutdown();
    await client?.quit();
    await redis?.stop();
  });

  test('hostile camera records are skipped and logged once each; good ones are read', async () => {
    const hostile: Record<string, string> = {
      injected: JSON.stringify({ ...good, id: 'injected', jpegQuality: '80 ! fakesink filesrc location=/etc/hostname ! filesink location=/tmp/x' }),
      fraction: JSON.stringify({ ...good, id: 'fraction', jpegQuality: 80.5 }),
      'not-json': '{"id": "not-json", ',
      mismatch: JSON.stringify({ ...good, id: 'other' }),
      'bad-url': JSON.stringify({ ...good, id: 'bad-url', url: 'gopher://x' }),
      extra: JSON.stringify({ ...good, id: 'extra', pipeline: 'filesink location=/tmp/x' }),
      huge: JSON.stringify({ ...good, id: 'huge', name: 'x'.repeat(300_000) }),
      array: '[1,2,3]',
      'bad id!': JSON.stringify({ ...good, id: 'bad id!' }),
      // bug guarded: a switch read loosely ("any value but false") would carry audio an admin turned off
      'hostile-audio': JSON.stringify({ ...good, id: 'hostile-audio', egress: { url: 'rtmp://127.0.0.1/live/x', audio: 'false; -i /etc/passwd' } }),
    };
    await client.hset(keys.cameras, { gate: JSON.stringify(good), ...hostile });
    for (let pass = 0; pass < 3; pass++) assert.deepEqual((await registry.list()).map((camera) => camera.id), ['gate']);
    for (const id of Object.keys(hostile)) assert.equal(await registry.get(id), undefined, id);
    assert.equal((await registry.get('gate'))?.jpegQuality, 80);
    for (const id of Object.keys(hostile)) {
      const lines = warnings.filter((line) => line.startsWith(`camera ${JSON.stringify(id)} in Redis is ignored`));
      assert.equal(lines.length, 1, `one warning for ${id}: ${JSON.stringify(lines)}`);
    }
    assert.ok(!warnings.some((line) => line.includes('/etc/hostname') || line.includes('/etc/passwd')), 'the log names the key and the field, not the content');
    assert.ok(warnings.some((line) => line.startsWith('camera "hostile-audio"') && line.includes('egress.audio')), 'the audio switch is named');
  });

  test('hostile status records are skipped; a good one is read', async () => {
    await client.hset(keys.cameraStatus, {
      gate: JSON.stringify(goodStatus),
      dock: JSON.stringify({ ...goodStatus, id: 'dock', state: '<img src=x onerror=alert(1)>' }),
      yard: JSON.stringify({ ...goodStatus, id: 'yard', frames: 'many' }),
      roof: JSON.stringify({ ...goodStatus, id: 'roof', fps: -1 }),
    });
    assert.deepEqual([...(await statuses.all()).keys()], ['gate']);
    assert.equal(await statuses.get('dock'), undefined);
    await client.hset(keys.inferenceStatus, { gate: JSON.stringify({ camera: 'gate', owner: 'x', inferred: 1, skipped: 0, gated: 0, violations: 'lots', detector: null, updatedAt: 1 }) });
    assert.equal(await inference.get('gate'), undefined);
  });

  test('status records are written typed, checked before they reach Redis, and read back as written', async () => {
    await client.del(keys.cameraStatus, keys.inferenceStatus);
    await statuses.put(goodStatus);
    assert.deepEqual(await statuses.get('gate'), goodStatus);
    const counters = { owner: 'inference-1', inferred: 3, skipped: 1, gated: 0, violations: 0, detector: 'v8', updatedAt: 5 };
    await inference.put({ camera: 'gate', ...counters }, { camera: 'dock', ...counters, detector: null, problem: 'no model' });
    assert.deepEqual(Object.fromEntries(await inference.all()), { gate: { camera: 'gate', ...counters }, dock: { camera: 'dock', ...counters, detector: null, problem: 'no model' } });
    // a bug that would store what every reader refuses fails at the writer instead
    await assert.rejects(statuses.put({ ...goodStatus, fps: -1 }));
    assert.deepEqual(await statuses.get('gate'), goodStatus, 'the refused write left the record as it was');
    await registry.clearStatus('gate');
    assert.equal(await statuses.get('gate'), undefined);
    await inference.delete('dock');
    assert.deepEqual([...(await inference.all()).keys()], ['gate']);
  });

  test('MAX_CAMERAS holds under concurrent creates: one atomic step, not a count then a write', async () => {
    await client.del(keys.cameras);
    await client.hset(keys.cameras, 'planted', '{junk');
    const camera = (id: string) => ({ ...good, id }) as Parameters<CameraRegistry['put']>[0];
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => registry.put(camera(`cam-${i}`), { max: 5, create: true })));
    assert.equal(outcomes.filter((outcome) => outcome === 'added').length, 4, 'the planted record takes room too');
    assert.equal(outcomes.filter((outcome) => outcome === 'full').length, 36);
    assert.equal(await client.hlen(keys.cameras), 5);
    const added = outcomes.indexOf('added');
    assert.equal(await registry.put(camera(`cam-${added}`), { max: 5, create: true }), 'exists', 'a create never replaces');
    assert.equal(await registry.put(camera(`cam-${added}`), { max: 5, create: false }), 'updated', 'a replace fits when full');
    assert.equal(await registry.put(camera('one-more'), { max: 5, create: false }), 'full');
  });
});
