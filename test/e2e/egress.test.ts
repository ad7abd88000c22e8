/**
 * Egress end to end: the all-in-one process with a real redis-server and a real RTSP camera (the demo's yard: motion
 * detection with an intrusion zone) pushes the annotated stream to a real RTMP server, where ffprobe decodes it; a
 * camera added over the API starts a push and its removal stops it; a bad egress section stops the process at start.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { channels, type EgressStatus } from '@vigil/contracts';
import {
  startRedisServer,
  startRtmpServer,
  startRtspServer,
  startVigil,
  testPatternLaunch,
  type RedisServerHandle,
  type RtmpServerHandle,
  type RtspServerHandle,
  type VigilHandle,
} from '../../scripts/support';
import { getJson, metric, sendJson } from '../support/api';
import { processArgv } from '../support/process-tree';
import { sampleStream } from '../support/stream-sample';
import { waitFor } from '../support/wait';

const SIZE = { width: 480, height: 270 };
const YARD_PATH = 'live/yard-s3cret-k3y';

describe('egress end to end', { timeout: 120_000 }, () => {
  let redis: RedisServerHandle;
  let rtsp: RtspServerHandle;
  let rtmp: RtmpServerHandle;
  let vigil: VigilHandle;
  let probe: Redis;

  const egressOf = async (camera: string): Promise<EgressStatus | undefined> =>
    (await getJson<EgressStatus[]>(`${vigil.url}/api/egress`)).body.find((status) => status.camera === camera);

  before(async () => {
    redis = await startRedisServer();
    probe = new Redis(redis.url);
    rtmp = await startRtmpServer();
    rtsp = await startRtspServer({ mounts: { '/yard': testPatternLaunch({ pattern: 'ball', ...SIZE, fps: 10, codec: 'h264' }) } });
    vigil = await startVigil({
      redisUrl: redis.url,
      cameras: [
        {
          id: 'yard',
          url: rtsp.url('/yard'),
          codec: 'h264',
          detect: {
            detector: 'motion',
            zones: [{ id: 'restricted', polygon: [[0.5, 0.1], [0.95, 0.1], [0.95, 0.95], [0.5, 0.95]] }],
            rules: [{ id: 'intrusion', kind: 'intrusion', classes: ['motion'], zone: 'restricted' }],
          },
          // the stream key is the secret: no process's argv may show it
          egress: { url: rtmp.url(YARD_PATH), bitrate: 600 },
        },
      ],
    });
  });

  after(async () => {
    await probe?.quit();
    await vigil?.stop();
    await rtsp?.stop();
    await rtmp?.stop();
    await redis?.stop();
  });

  test('the encoder chosen at start is logged', () => {
    const log = vigil.child.lastLines().map((line) => line.text).join('\n');
    assert.match(log, /encoder: (x264 \(auto: nvenc unavailable: .+\)|nvenc \(auto: a test encode on the GPU worked\))/);
  });

  test("the yard's annotated stream reaches the RTMP server, where a player decodes H.264 at the camera's size", async () => {
    await waitFor('the yard push to be live', async () => (await egressOf('yard'))?.state === 'live', 40_000);
    // egress is the only subscriber of the annotated channel: its frames exist only because it asked for them
    const [, subscribers] = (await probe.pubsub('NUMSUB', channels.frames('yard', 'annotated'))) as [string, number];
    assert.equal(subscribers, 1);
    const sample = await sampleStream(rtmp.url(YARD_PATH), 2);
    assert.equal(sample.codec, 'h264');
    assert.deepEqual([sample.width, sample.height], [SIZE.width, SIZE.height]);
    assert.ok(sample.frames > 0);
    const status = (await egressOf('yard'))!;
    assert.equal(status.stream, 'annotated');
    assert.equal(status.codec, 'h264');
    assert.ok(status.pushed > 0);
    assert.ok((await metric(vigil.url, 'vigil_egress_frames_pushed_total', { camera: 'yard' }))! > 0);
    assert.equal(await metric(vigil.url, 'vigil_egress_state', { camera: 'yard', state: 'live' }), 1);
  });

  test("while the push is live, no process of vigil's shows the stream key, the push URL or the Redis URL in its argv", async () => {
    await waitFor('the yard push to be live', async () => (await egressOf('yard'))?.state === 'live', 40_000);
    const processes = processArgv(vigil.child.process.pid!);
    assert.ok(processes.some(({ argv }) => argv[0] === 'ffmpeg'), `ffmpeg runs: ${JSON.stringify(processes)}`);
    for (const { pid, argv } of processes) {
      for (const secret of ['s3cret-k3y', rtmp.url(YARD_PATH), redis.url, rtsp.url('/yard')]) {
        assert.ok(!argv.some((arg) => arg.includes(secret)), `pid ${pid} shows ${secret}: ${argv.join(' ')}`);
      }
    }
  });

  test('an rtmp egress url with user:password is refused with a 400 naming the field, and the password is not repeated', async () => {
    const refused = await sendJson('POST', `${vigil.url}/api/cameras`, { id: 'withpass', url: 'test://ball', egress: { url: rtmp.url('live/x').replace('rtmp://', 'rtmp://pusher:s3cret@') } });
    assert.equal(refused.status, 400);
    assert.match(JSON.stringify(refused.body), /egress\.url.*user:password/);
    assert.equal(JSON.stringify(refused.body).includes('s3cret'), false);
  });

  // ffmpeg 5.1 cannot put H.265 in FLV: accepted, the push would fail at every start with ffmpeg's cryptic words
  test('an H.265 egress to an RTMP url is refused with a 400 naming egress.codec, saying why and suggesting RTSP', async () => {
    const refused = await sendJson('POST', `${vigil.url}/api/cameras`, { id: 'hevc', url: 'test://ball', egress: { url: rtmp.url('live/hevc'), codec: 'h265' } });
    assert.equal(refused.status, 400);
    const body = JSON.stringify(refused.body);
    assert.match(body, /egress\.codec/);
    assert.match(body, /H\.265 cannot be pushed over RTMP: ffmpeg 5\.1 \(Debian 12\)/);
    assert.match(body, /over RTSP/);
    assert.equal((await getJson(`${vigil.url}/api/cameras/hevc`)).status, 404);
  });

  test('a camera added over the API starts a push (raw stream), and removing it stops the push', async () => {
    const added = await sendJson('POST', `${vigil.url}/api/cameras`, {
      id: 'gate', url: 'test://smpte', width: 320, height: 180, fps: 10, egress: { url: rtmp.url('live/gate'), stream: 'raw' },
    });
    assert.equal(added.status, 201);
    await waitFor('the gate push to be live', async () => (await egressOf('gate'))?.state === 'live', 40_000);
    const sample = await sampleStream(rtmp.url('live/gate'), 1);
    assert.deepEqual([sample.codec, sample.width, sample.height], ['h264', 320, 180]);
    assert.equal((await sendJson('DELETE', `${vigil.url}/api/cameras/gate`)).status, 204);
    await waitFor('the gate push to be gone', async () => (await egressOf('gate')) === undefined, 20_000);
    assert.equal((await getJson(`${vigil.url}/api/egress/gate`)).status, 404);
  });
});

describe('egress refuses a bad egress section at start', { timeout: 60_000 }, () => {
  let redis: RedisServerHandle;

  before(async () => {
    redis = await startRedisServer();
  });

  after(async () => {
    await redis?.stop();
  });

  test('egress.url http://x stops the egress app with a message naming the field', async () => {
    await assert.rejects(
      startVigil({ app: 'egress', redisUrl: redis.url, cameras: [{ id: 'yard', url: 'test://ball', egress: { url: 'http://x/live' } }] }),
      /cameras\[0\]\.egress\.url: unsupported egress url scheme "http:\/\/"/,
    );
  });
});
