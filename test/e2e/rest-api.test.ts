/**
 * The REST API with ingest and publish as separate processes (as in Kubernetes): a camera added
 * over HTTP reaches ingest through the registry and a control message and starts streaming;
 * bad input is a 4xx naming the problem; removal stops the capture.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { keys, type CameraView } from '@vigil/contracts';
import { startRedisServer, startVigil, type RedisServerHandle, type VigilHandle } from '../../scripts/support';
import { getJson, sendJson } from '../support/api';
import { FrameTap } from '../support/frame-tap';
import { waitFor } from '../support/wait';

describe('REST API across separate ingest and publish processes', { timeout: 120_000 }, () => {
  let redis: RedisServerHandle;
  let ingest: VigilHandle;
  let publish: VigilHandle;
  let probe: Redis;

  before(async () => {
    redis = await startRedisServer();
    probe = new Redis(redis.url);
    // a long lease renewal period: the camera must start because of the control message, not the timer
    // a URL limit far above the default: the 90 KB URL test is about fork's argv limit, not LIMIT_URL_LENGTH
    ingest = await startVigil({ app: 'ingest', redisUrl: redis.url, env: { LEASE_MS: '60000', LIMIT_URL_LENGTH: '200000' } });
    publish = await startVigil({ app: 'publish', redisUrl: redis.url, env: { LIMIT_URL_LENGTH: '200000' } });
  });

  after(async () => {
    await probe?.quit();
    await publish?.stop();
    await ingest?.stop();
    await redis?.stop();
  });

  const api = (path: string) => `${publish.url}/api/cameras${path}`;

  test('POST adds a camera that ingest picks up and streams', async () => {
    const tap = await FrameTap.open(redis.url, 'added');
    try {
      const created = await sendJson<CameraView>('POST', api(''), { id: 'added', url: 'test://ball', width: 320, height: 240, fps: 10 });
      assert.equal(created.status, 201);
      assert.equal(created.body.id, 'added');
      assert.equal(created.body.jpegQuality, 80, 'defaults are filled in');
      const [frame] = await tap.next(1, 10_000);
      assert.deepEqual([frame!.width, frame!.height], [320, 240]);
      const view = await waitFor('status live', async () => {
        const { body } = await getJson<CameraView>(api('/added'));
        return body.status?.state === 'live' ? body : undefined;
      });
      assert.equal(view.status?.owner, `ingest-${ingest.port}`, 'the ingest process owns it');
      assert.ok((await probe.get(keys.cameraLease('ingest', 'added'))) !== null, 'ingest holds the lease');
    } finally {
      await tap.close();
    }
  });

  test('GET lists cameras with credentials masked', async () => {
    assert.equal((await sendJson('PUT', api('/secret'), { url: 'rtsp://admin:hunter2@127.0.0.1:9/x', enabled: false })).status, 200);
    const { status, body } = await getJson<CameraView[]>(api(''));
    assert.equal(status, 200);
    const secret = body.find((camera) => camera.id === 'secret');
    assert.equal(secret?.url, 'rtsp://admin:***@127.0.0.1:9/x');
    assert.ok(!JSON.stringify(body).includes('hunter2'));
  });

  test('a bad body is a 400 that names the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ id: 'x', url: 'ftp://nope' }, /url: unsupported url scheme/],
      [{ id: 'bad id!', url: 'test://ball' }, /id: /],
      [{ id: 'x', url: 'test://ball', fps: -1 }, /fps: /],
      [{ id: 'x', url: 'test://ball', colour: 'red' }, /colour/],
      [{ url: 'test://ball' }, /id: Required/],
      ['not json at all', /JSON|Unexpected/i],
    ];
    for (const [body, message] of cases) {
      const response = await sendJson<{ message: string }>('POST', api(''), body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match(String(response.body.message), message);
    }
  });

  test('conflicts and unknown ids are 409 and 404', async () => {
    assert.equal((await sendJson('POST', api(''), { id: 'added', url: 'test://ball' })).status, 409);
    assert.equal((await getJson(api('/nope'))).status, 404);
    assert.equal((await sendJson('DELETE', api('/nope'))).status, 404);
    assert.equal((await getJson(api('/..%2F..%2Fetc'))).status, 404);
    assert.equal((await sendJson('PUT', api('/other'), { id: 'different', url: 'test://ball' })).status, 400);
  });

  test('DELETE removes the camera and its capture stops', async () => {
    const tap = await FrameTap.open(redis.url, 'added');
    try {
      await tap.next(1);
      assert.equal((await sendJson('DELETE', api('/added'))).status, 204);
      await waitFor('lease released', async () => (await probe.get(keys.cameraLease('ingest', 'added'))) === null);
      const count = tap.received;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.ok(tap.received - count <= 1, 'no frames after removal');
      assert.equal((await getJson(api('/added'))).status, 404);
    } finally {
      await tap.close();
    }
  });

  test('a camera whose URL is 90 KB of password does not take ingest down', async () => {
    for (const codec of ['h264', 'auto'] as const) {
      const id = `huge-${codec}`;
      const created = await sendJson('POST', api(''), { id, url: `rtsp://user:${'p'.repeat(90_000)}@127.0.0.1:1/x`, codec });
      assert.equal(created.status, 201);
      // the capture runs (and fails to connect, port 1): ingest reports it rather than dying
      await waitFor(`${id} tried`, async () => ((await getJson<CameraView>(api(`/${id}`))).body.status?.reconnects ?? 0) >= 1, 20_000, 250);
      assert.ok(ingest.child.running, 'ingest is still running');
      assert.equal((await sendJson('DELETE', api(`/${id}`))).status, 204);
    }
  });

  test('health of both processes', async () => {
    assert.equal((await fetch(`${publish.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${ingest.url}/healthz`)).status, 200);
  });
});
