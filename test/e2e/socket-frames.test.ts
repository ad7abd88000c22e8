/**
 * The Socket.IO journey end to end: real redis-server, real RTSP server, the all-in-one process,
 * socket.io-client as the viewer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { io, type Socket } from '../support/io';
import { channels, type Ack, type FrameEvent, type SubscribeRequest } from '@vigil/contracts';
import { startRedisServer, startRtspServer, startVigil, testPatternLaunch, type RedisServerHandle, type RtspServerHandle, type VigilHandle } from '../../scripts/support';
import { metric } from '../support/api';
import { waitFor } from '../support/wait';

interface Viewer {
  socket: Socket;
  frames: FrameEvent[];
  received: number;
}

describe('Socket.IO frames end to end', { timeout: 120_000 }, () => {
  let redis: RedisServerHandle;
  let rtsp: RtspServerHandle;
  let vigil: VigilHandle;
  let probe: Redis;
  const viewers: Viewer[] = [];

  const connect = async (): Promise<Viewer> => {
    const socket = io(vigil.url, { transports: ['websocket'], reconnection: false });
    const viewer: Viewer = { socket, frames: [], received: 0 };
    socket.on('frame', (frame: FrameEvent) => {
      viewer.received += 1;
      viewer.frames.push(frame);
      if (viewer.frames.length > 50) viewer.frames.shift();
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    viewers.push(viewer);
    return viewer;
  };
  const request = (viewer: Viewer, event: 'subscribe' | 'unsubscribe', body: unknown): Promise<Ack> =>
    viewer.socket.timeout(10_000).emitWithAck(event, body as SubscribeRequest);
  const nextFrame = async (viewer: Viewer): Promise<FrameEvent> => {
    const start = viewer.received;
    await waitFor('a frame', () => viewer.received > start);
    return viewer.frames[viewer.frames.length - 1]!;
  };
  const numsub = async (camera: string): Promise<number> => {
    const [, count] = (await probe.pubsub('NUMSUB', channels.frames(camera, 'raw'))) as [string, number];
    return Number(count);
  };

  before(async () => {
    redis = await startRedisServer();
    probe = new Redis(redis.url);
    rtsp = await startRtspServer({ mounts: { '/yard': testPatternLaunch({ width: 640, height: 360, fps: 15, codec: 'h264' }) } });
    vigil = await startVigil({
      redisUrl: redis.url,
      env: { CLIENT_QUEUE_MAX: '4' },
      cameras: [
        { id: 'yard', url: rtsp.url('/yard'), codec: 'h264' },
        // noise compresses badly: large frames fill a stalled client's TCP buffers within a second
        { id: 'noisy', url: 'test://snow', width: 1280, height: 720, fps: 20, jpegQuality: 90 },
      ],
    });
  });

  after(async () => {
    for (const viewer of viewers) viewer.socket.disconnect();
    await probe?.quit();
    await vigil?.stop();
    await rtsp?.stop();
    await redis?.stop();
  });

  test('subscribe gets an ack and JPEG frames as binary', async () => {
    const viewer = await connect();
    assert.deepEqual(await request(viewer, 'subscribe', { camera: 'yard' }), { ok: true });
    const frame = await nextFrame(viewer);
    assert.equal(frame.camera, 'yard');
    assert.equal(frame.stream, 'raw');
    assert.equal(frame.format, 'jpeg');
    assert.deepEqual([frame.width, frame.height], [640, 360]);
    assert.ok(Buffer.isBuffer(frame.data));
    assert.deepEqual([...(frame.data as Buffer).subarray(0, 2)], [0xff, 0xd8]);
    assert.ok(Number.isSafeInteger(frame.seq));
    assert.ok(Math.abs(Date.now() - frame.ts) < 60_000, 'ts is a capture time in epoch ms');
  });

  test("format 'base64' gives the same JPEG as a base64 string", async () => {
    const viewer = await connect();
    assert.deepEqual(await request(viewer, 'subscribe', { camera: 'yard', format: 'base64' }), { ok: true });
    const frame = await nextFrame(viewer);
    assert.equal(frame.format, 'base64');
    assert.equal(typeof frame.data, 'string');
    const bytes = Buffer.from(frame.data as string, 'base64');
    assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xd8]);
  });

  test('an unknown camera or a bad payload is refused with ok: false and a reason', async () => {
    const viewer = await connect();
    const unknown = await request(viewer, 'subscribe', { camera: 'no-such-camera' });
    assert.equal(unknown.ok, false);
    assert.match((unknown as { error: string }).error, /unknown camera/);
    for (const bad of [42, null, { camera: 'yard', stream: 'bogus' }, { camera: 'yard', format: 'png' }, { camera: 'yard', extra: 1 }]) {
      const ack = await request(viewer, 'subscribe', bad);
      assert.equal(ack.ok, false, `refuses ${JSON.stringify(bad)}`);
    }
    const notSubscribed = await request(viewer, 'unsubscribe', { camera: 'yard' });
    assert.equal(notSubscribed.ok, false);
    assert.ok(viewer.socket.connected, 'the socket survives bad input');
  });

  test('one Redis subscription per camera however many viewers; none after the last leaves', async () => {
    const [a, b, c] = [await connect(), await connect(), await connect()];
    for (const viewer of [a, b, c]) assert.deepEqual(await request(viewer, 'subscribe', { camera: 'noisy', format: viewer === c ? 'base64' : 'jpeg' }), { ok: true });
    assert.equal(await numsub('noisy'), 1);
    assert.deepEqual(await request(a, 'unsubscribe', { camera: 'noisy' }), { ok: true });
    b.socket.disconnect();
    assert.equal(await numsub('noisy'), 1, 'c still watches');
    assert.deepEqual(await request(c, 'unsubscribe', { camera: 'noisy' }), { ok: true });
    await waitFor('no subscription left', async () => (await numsub('noisy')) === 0);
  });

  test('a client that stops reading is dropped and counted, and does not slow a second client', async () => {
    const stalled = await connect();
    const healthy = await connect();
    assert.deepEqual(await request(stalled, 'subscribe', { camera: 'noisy' }), { ok: true });
    assert.deepEqual(await request(healthy, 'subscribe', { camera: 'noisy' }), { ok: true });
    await nextFrame(stalled);
    // stop reading the TCP socket under the WebSocket: the server's writes back up
    const tcp = (stalled.socket.io.engine.transport as unknown as { ws: { _socket: { pause(): void; destroy(): void } } }).ws._socket;
    tcp.pause();
    const drops = (await metric(vigil.url, 'vigil_publish_frames_dropped_total', { camera: 'noisy', reason: 'slow_client' })) ?? 0;
    await waitFor(
      'frames dropped for the stalled client',
      async () => ((await metric(vigil.url, 'vigil_publish_frames_dropped_total', { camera: 'noisy', reason: 'slow_client' })) ?? 0) > drops + 10,
      30_000,
    );
    const stalledCount = stalled.received;
    const start = healthy.received;
    await waitFor('the healthy client keeps receiving', () => healthy.received >= start + 20, 15_000);
    assert.ok(stalled.received - stalledCount <= 1, 'the stalled client got nothing new meanwhile');
    const frames = healthy.frames.slice(-20).map((frame) => frame.seq);
    assert.deepEqual(frames, [...frames].sort((x, y) => x - y), 'in order');
    tcp.destroy(); // a paused socket would otherwise keep this test process alive
  });

  test('metrics count frames in and out per camera', async () => {
    assert.ok(((await metric(vigil.url, 'vigil_publish_frames_in_total', { camera: 'yard' })) ?? 0) > 0);
    assert.ok(((await metric(vigil.url, 'vigil_publish_frames_out_total', { camera: 'yard', format: 'base64' })) ?? 0) > 0);
    assert.equal(await metric(vigil.url, 'vigil_camera_state', { camera: 'yard', state: 'live' }), 1);
  });
});
