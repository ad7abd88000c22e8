/**
 * Where cameras may read from, against the real all-in-one process: sources outside the media roots, devices,
 * option-looking paths and the metadata address are a 400 naming the field over REST; a record written straight
 * into Redis is refused by ingest, which starts no capture for it and says so in its log; the cameras file is
 * refused at start; and the API's status reason is the generic one while the log has the full one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { cameraConfigSchema, keys, type CameraStatus, type CameraView } from '@vigil/contracts';
import { startRedisServer, startVigil, waitForLine, type RedisServerHandle, type VigilHandle } from '../../scripts/support';
import { getJson, metric, sendJson } from '../support/api';
import { waitFor } from '../support/wait';

const GENERIC_REASONS = ['cannot connect to the camera', 'the camera sends no frames', 'the camera is offline'];

describe('source policy at every boundary of the all-in-one process', { timeout: 120_000 }, () => {
  let redis: RedisServerHandle;
  let vigil: VigilHandle;
  let probe: Redis;
  let media: string;

  before(async () => {
    media = realpathSync(mkdtempSync(join(tmpdir(), 'vigil-policy-media-')));
    writeFileSync(join(media, 'clip.mp4'), 'a file inside the media root');
    symlinkSync('/etc/passwd', join(media, 'passwd.mp4'));
    redis = await startRedisServer();
    probe = new Redis(redis.url);
    vigil = await startVigil({ redisUrl: redis.url, env: { MEDIA_ROOTS: media } });
    const issued = await sendJson('POST', `${vigil.url}/api/tokens`, { name: 'wall screen', role: 'viewer' });
    viewerToken = (issued.body as { token: string }).token;
  });

  after(async () => {
    await probe?.quit();
    await vigil?.stop();
    await redis?.stop();
  });

  const api = (path: string) => `${vigil.url}/api/cameras${path}`;
  let viewerToken: string;
  /** what a viewer gets: admins see the full reason, viewers the generic one */
  const asViewer = async <T>(path: string): Promise<T> => (await (await fetch(api(path), { headers: { authorization: `Bearer ${viewerToken}` } })).json()) as T;
  /** whether ingest ever started a capture of the camera (its counter of capture starts) */
  const captureRuns = async (camera: string): Promise<boolean> => ((await metric(vigil.url, 'vigil_ingest_capture_starts_total', { camera })) ?? 0) > 0;

  test('a source outside the policy is a 400 naming the field, on POST and PUT, and never reaches Redis', async () => {
    const outside = /^url: ".*" is not inside MEDIA_ROOTS \(/;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ url: 'file:///etc/passwd' }, outside],
      [{ url: '/dev/zero' }, outside],
      [{ url: '/proc/self/environ' }, outside],
      [{ url: `file://${media}/%2e%2e/%2e%2e/%2e%2e/etc/passwd` }, outside],
      [{ url: `${media}/../../../etc/passwd` }, outside],
      [{ url: join(media, 'passwd.mp4') }, outside],
      [{ url: '-report', codec: 'auto' }, /^url: must not start with "-"/],
      [{ url: '/dev/video0' }, /^url: device \/dev\/video0 is not in DEVICE_ALLOW/],
      [{ url: 'http://2852039166/latest/meta-data/' }, /^url: 169\.254\.169\.254 is in 169\.254\.0\.0\/16/],
      [{ url: 'rtsp://0xa9.0xfe.0xa9.0xfe/stream', codec: 'h264' }, /^url: 169\.254\.169\.254 is in 169\.254\.0\.0\/16/],
      [{ url: 'rtsp://[::ffff:169.254.169.254]/stream' }, /^url: ::ffff:a9fe:a9fe \(169\.254\.169\.254\) is in 169\.254\.0\.0\/16/],
      [{ url: 'http://[fd00:ec2::254]/latest/meta-data/' }, /^url: fd00:ec2::254 is in fd00:ec2::254\/128/],
      [{ url: 'test://ball', egress: { url: 'rtmp://169.254.169.254/live/x' } }, /^egress\.url: 169\.254\.169\.254 is in/],
    ];
    for (const [index, [body, message]] of cases.entries()) {
      const id = `refused-${index}`;
      for (const [method, path] of [['POST', ''], ['PUT', `/${id}`]] as const) {
        const response = await sendJson<{ message: string }>(method, api(path), { id, ...body });
        assert.equal(response.status, 400, `${method} ${JSON.stringify(body)}`);
        assert.match(String(response.body.message), message, `${method} ${JSON.stringify(body)}`);
      }
    }
    assert.deepEqual((await probe.hkeys(keys.cameras)).filter((id) => id.startsWith('refused-')), []);
    // and the policy is not refusing everything: a file inside the root goes in (disabled: it is no real clip)
    const inside = await sendJson<CameraView>('POST', api(''), { id: 'inside', url: join(media, 'clip.mp4'), enabled: false });
    assert.equal(inside.status, 201);
  });

  test('a record written straight into Redis is refused by ingest: no capture, a log line naming the camera, state error', async () => {
    for (const [id, url] of [['sneaky-file', 'file:///etc/passwd'], ['sneaky-net', 'rtsp://2852039166/stream']] as const) {
      // valid for the schema, so only the policy stands between it and a capture
      await probe.hset(keys.cameras, id, JSON.stringify(cameraConfigSchema.parse({ id, url, codec: 'h264' })));
    }
    // any change over the API makes ingest reconcile now rather than at its next timer
    assert.equal((await sendJson('POST', api(''), { id: 'nudge', url: 'test://ball', enabled: false })).status, 201);
    await waitForLine(vigil.child, /camera sneaky-file: error \(refused by the source policy: url: "\/etc\/passwd" is not inside MEDIA_ROOTS/, 15_000);
    await waitForLine(vigil.child, /camera sneaky-net: error \(refused by the source policy: url: 169\.254\.169\.254 is in 169\.254\.0\.0\/16/, 15_000);
    for (const id of ['sneaky-file', 'sneaky-net']) {
      // the log line comes first; the status write to Redis follows it
      const full = await waitFor(`${id}: the full reason in the registry`, async () => {
        const status = JSON.parse((await probe.hget(keys.cameraStatus, id)) ?? 'null') as CameraStatus | null;
        return status?.reason ? status : undefined;
      });
      assert.match(full.reason ?? '', /^refused by the source policy: /, `${id}: the full reason in the registry`);
      const shown = await waitFor(`${id} in error over the API`, async () => {
        const status = (await asViewer<CameraView>(`/${id}`)).status;
        return status?.state === 'error' ? status : undefined;
      });
      assert.equal(shown.reason, 'cannot connect to the camera', `${id}: the API gives a viewer the generic reason`);
      assert.match((await getJson<CameraView>(api(`/${id}`))).body.status?.reason ?? '', /^refused by the source policy: /, `${id}: and an admin the full one`);
      assert.equal(await captureRuns(id), false, `${id}: no capture process was started`);
    }
    assert.ok(vigil.child.running, 'the process keeps running');
  });

  // the bug this guards against: "Connection refused" vs a timeout for each host:port tried maps the network
  test('a camera that cannot connect shows a viewer the generic reason in the API; the log has the full one', async () => {
    assert.equal((await sendJson('POST', api(''), { id: 'closed', url: 'rtsp://127.0.0.1:1/x', codec: 'h264' })).status, 201);
    const shown = await waitFor('closed in error', async () => {
      const status = (await asViewer<CameraView>('/closed')).status;
      return status?.state === 'error' ? status : undefined;
    }, 20_000);
    assert.equal(shown.reason, 'cannot connect to the camera');
    const logged = await waitForLine(vigil.child, /camera closed: error \(/);
    const full = /camera closed: error \((.+)\)$/.exec(logged)?.[1] ?? '';
    assert.ok(full.length > 0 && !GENERIC_REASONS.includes(full), `the log has ingest's own reason: ${logged}`);
    assert.equal(await captureRuns('closed'), true, 'a capture that did start is counted (so the refused ones above were not)');
    const body = await asViewer<CameraView[]>('');
    for (const camera of body) {
      const reason = camera.status?.reason;
      assert.ok(reason === undefined || GENERIC_REASONS.includes(reason), `${camera.id}: the list shows "${reason}"`);
    }
  });
});

describe('source policy on the cameras file', { timeout: 60_000 }, () => {
  test('a camera outside the policy in the cameras file stops the start with a message naming the file and field', async () => {
    const redis = await startRedisServer();
    try {
      await assert.rejects(
        startVigil({ app: 'ingest', redisUrl: redis.url, env: { MEDIA_ROOTS: tmpdir() }, cameras: [{ id: 'ok', url: 'test://ball' }, { id: 'bad', url: '/proc/self/environ' }] }),
        /cameras\.json: cameras\[1\]\.url: "\/proc\/self\/environ" is not inside MEDIA_ROOTS/,
      );
    } finally {
      await redis.stop();
    }
  });
});
