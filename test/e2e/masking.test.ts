/**
 * Secrets never leave the all-in-one process: a real process is given every kind of secret a URL can hold (a Redis
 * password, camera passwords and query tokens, RTMP stream keys, webhook path tokens, an MQTT password, a signing
 * secret), real servers make some of them work and others fail (so that ffmpeg, ffprobe, GStreamer and fetch write
 * their errors), and then none of the secrets may appear in any REST response, in /metrics or in the process's log
 * from its first line to its last. Positive checks make sure each of those places was really reached.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AlarmRecord, CameraView, EgressStatus } from '@vigil/contracts';
import type { WebhookDelivery } from '@vigil/alarms';
import {
  freePort,
  startRedisServer,
  startRtmpServer,
  startRtspServer,
  startVigil,
  testPatternLaunch,
  type OutputLine,
  type RedisServerHandle,
  type RtmpServerHandle,
  type RtspServerHandle,
  type VigilHandle,
} from '../../scripts/support';
import { getJson, sendJson } from '../support/api';
import { Broker } from '../support/mqtt-broker';
import { waitFor } from '../support/wait';
import { newWebhookSecret } from '../support/webhook-fixtures';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

/** Each secret once, spelt so that no mask could produce it by chance. */
const SECRET = {
  redisPassword: 'RedisPw-3k9x',
  cameraPassword: 'CamPw-7q2z',
  cameraToken: 'CamTok-5m1v',
  deadCameraPassword: 'DeadPw-8h4c',
  deadCameraToken: 'DeadTok-2n6b',
  httpCameraPassword: 'HttpPw-9r3d',
  streamKey: 'StreamKey-4w8p',
  deadStreamKey: 'DeadKey-6t1j',
  hookToken: 'HookTok-3e7u',
  deadHookToken: 'DeadHook-5a2q',
  mqttPassword: 'MqttPw-8s6f',
  apiCameraPassword: 'ApiPw-4g7w',
  apiCameraToken: 'ApiTok-2x8m',
  apiStreamKey: 'ApiKey-6c3n',
  refusedStreamKey: 'BadKey-9v1h',
  signingSecret: newWebhookSecret(),
};
const WHOLE_FRAME = { id: 'all', polygon: [[0, 0], [1, 0], [1, 1], [0, 1]] as [number, number][] };
const SMALL = { width: 320, height: 240, fps: 10 };

describe('no secret reaches the API, /metrics or the log', { timeout: 180_000 }, () => {
  let redis: RedisServerHandle;
  let rtsp: RtspServerHandle;
  let rtmp: RtmpServerHandle;
  let receiver: WebhookReceiver;
  let broker: Broker;
  let vigil: VigilHandle;
  let closedPort: number;
  const log: OutputLine[] = [];
  /** every response body the test read, with the request that produced it */
  const bodies: Array<{ request: string; text: string }> = [];

  const read = async (path: string): Promise<string> => {
    const response = await fetch(`${vigil.url}${path}`);
    const text = await response.text();
    bodies.push({ request: `GET ${path} (${response.status})`, text });
    return text;
  };
  const readJson = async <T>(path: string): Promise<T> => JSON.parse(await read(path)) as T;

  before(async () => {
    redis = await startRedisServer({ password: SECRET.redisPassword });
    rtsp = await startRtspServer({ mounts: { '/cam': testPatternLaunch({ pattern: 'ball', ...SMALL, codec: 'h264' }) } });
    rtmp = await startRtmpServer();
    receiver = await startWebhookReceiver({ secret: SECRET.signingSecret });
    broker = await Broker.start();
    closedPort = await freePort();
    const rtspBase = rtsp.url('/cam').replace('rtsp://', '');
    vigil = await startVigil({
      redisUrl: redis.url,
      onLine: (line) => log.push(line),
      env: {
        LOG_LEVEL: 'debug',
        ALARM_PRE_SECONDS: '1',
        ALARM_POST_SECONDS: '1',
        ALARM_QUIET_SECONDS: '1',
        ALARM_COOLDOWN_SECONDS: '600',
        WEBHOOK_RETRY_SECONDS: '0,0.3,0.6',
        MQTT_URL: `mqtt://vigil:${SECRET.mqttPassword}@127.0.0.1:${broker.port}`,
      },
      cameras: [
        { id: 'yard', url: 'test://ball', ...SMALL, detect: { detector: 'motion', minFrames: 2, zones: [WHOLE_FRAME], rules: [{ id: 'intrusion', kind: 'intrusion', classes: ['motion'], zone: 'all' }] } },
        { id: 'cam', url: `rtsp://viewer:${SECRET.cameraPassword}@${rtspBase}?token=${SECRET.cameraToken}`, codec: 'h264' },
        // codec auto: ffprobe reads it first, and its error names the URL
        { id: 'dead', url: `rtsp://admin:${SECRET.deadCameraPassword}@127.0.0.1:${closedPort}/x?token=${SECRET.deadCameraToken}`, codec: 'auto' },
        { id: 'web', url: `http://127.0.0.1:${closedPort}/mjpg?user=admin&password=${SECRET.httpCameraPassword}` },
        { id: 'gate', url: 'test://smpte', ...SMALL, egress: { url: rtmp.url(`live/${SECRET.streamKey}`), stream: 'raw', bitrate: 300 } },
        { id: 'dock', url: 'test://snow', ...SMALL, egress: { url: `rtmp://127.0.0.1:${closedPort}/live/${SECRET.deadStreamKey}`, stream: 'raw', bitrate: 300 } },
      ],
      config: {
        webhooks: [
          { id: 'slack', url: `http://127.0.0.1:${receiver.port}/services/T000/B000/${SECRET.hookToken}`, secret: SECRET.signingSecret },
          { id: 'down', url: `http://127.0.0.1:${closedPort}/api/webhooks/123/${SECRET.deadHookToken}`, secret: SECRET.signingSecret },
        ],
      },
    });
  });

  after(async () => {
    await vigil?.stop();
    await broker?.close();
    await receiver?.close();
    await rtmp?.stop();
    await rtsp?.stop();
    await redis?.stop();
  });

  test('the pushes: one live with its key hidden, one failing with ffmpeg\'s error masked', async () => {
    const gate = await waitFor('the gate push to be live', async () => {
      const status = (await readJson<EgressStatus[]>('/api/egress')).find((entry) => entry.camera === 'gate');
      return status?.state === 'live' ? status : undefined;
    }, 60_000, 500);
    assert.equal(gate.url, `rtmp://127.0.0.1:${rtmp.port}/live/***`);
    const dock = await waitFor('the dock push to fail', async () => {
      const status = await readJson<EgressStatus>('/api/egress/dock');
      return status.state === 'error' && status.reason?.startsWith('ffmpeg') ? status : undefined;
    }, 60_000, 500);
    assert.equal(dock.url, `rtmp://127.0.0.1:${closedPort}/live/***`);
  });

  test('the cameras: pipelines and the reasons of those that cannot connect are masked', async () => {
    const cameras = await waitFor('every camera tried', async () => {
      const list = await readJson<CameraView[]>('/api/cameras');
      const byId = new Map(list.map((camera) => [camera.id, camera]));
      const tried = ['dead', 'web'].every((id) => (byId.get(id)?.status?.reconnects ?? 0) >= 1 && byId.get(id)?.status?.reason);
      return tried && byId.get('yard')?.status?.state === 'live' && byId.get('cam')?.status?.pipeline ? byId : undefined;
    }, 60_000, 500);
    const cam = cameras.get('cam')!;
    assert.equal(cam.url, `rtsp://viewer:***@127.0.0.1:${rtsp.port}/cam?token=***`);
    // the pipeline's values carry GStreamer's escapes (`\\?`, `\\=`); the query is masked either way
    assert.match(cam.status!.pipeline!, /location=.*rtsp:\/\/127\.0\.0\.1:\d+\/cam\\*\?/);
    assert.equal(cameras.get('web')!.url, `http://127.0.0.1:${closedPort}/mjpg?user=***&password=***`);
    assert.equal(cameras.get('gate')!.egress!.url, `rtmp://127.0.0.1:${rtmp.port}/live/***`);
    for (const id of ['yard', 'cam', 'dead', 'web', 'gate', 'dock']) await read(`/api/cameras/${id}`);
  });

  test('an alarm: its webhook is delivered to a URL with a path token, the other one goes dead; the API shows both masked', async () => {
    const alarm = await waitFor('a yard alarm', async () => (await readJson<{ items: AlarmRecord[] }>('/api/alarms?camera=yard')).items[0], 30_000, 250);
    const deliveries = await waitFor('one delivery delivered and one dead', async () => {
      const { deliveries: all } = await readJson<AlarmRecord & { deliveries: WebhookDelivery[] }>(`/api/alarms/${alarm.id}`);
      const slack = all.find((delivery) => delivery.endpointId === 'slack');
      const down = all.find((delivery) => delivery.endpointId === 'down');
      return slack?.state === 'delivered' && down?.state === 'dead' ? { slack, down } : undefined;
    }, 30_000, 250);
    assert.equal(deliveries.slack.endpointUrl, `http://127.0.0.1:${receiver.port}/***`);
    assert.equal(deliveries.down.endpointUrl, `http://127.0.0.1:${closedPort}/***`);
    assert.match(deliveries.down.lastError ?? '', /^POST http:\/\/127\.0\.0\.1:\d+\/\*\*\*: fetch failed/);
    assert.ok(receiver.requests.length > 0, 'the receiver got the webhook');
    await read('/api/alarms');
  });

  test('MQTT: a broker that goes away is logged with its URL masked', async () => {
    const port = broker.port;
    await broker.goAway();
    await waitFor('the disconnect line', () => log.some((line) => line.text.includes(`MQTT mqtt://vigil:***@127.0.0.1:${port}: disconnected`)), 20_000);
    await broker.listen(port);
  });

  test('a camera added over the API, and a refused one: the answers are masked too', async () => {
    const body = {
      id: 'api',
      url: `rtsps://u:${SECRET.apiCameraPassword}@127.0.0.1:${closedPort}/z?access_token=${SECRET.apiCameraToken}`,
      enabled: false,
      egress: { url: `rtmps://127.0.0.1:${closedPort}/app/${SECRET.apiStreamKey}`, enabled: false },
    };
    const created = await sendJson('POST', `${vigil.url}/api/cameras`, body);
    bodies.push({ request: 'POST /api/cameras', text: JSON.stringify(created.body) });
    assert.equal(created.status, 201);
    // the port is out of range: not a URL, and a URL that is not one is not echoed (no mask can be trusted on it)
    const refused = await sendJson<{ message: string }>('POST', `${vigil.url}/api/cameras`, { id: 'bad', url: 'test://ball', egress: { url: `rtmp://u:${SECRET.refusedStreamKey}@host:99999/live/${SECRET.refusedStreamKey}` } });
    bodies.push({ request: 'POST /api/cameras (bad)', text: JSON.stringify(refused.body) });
    assert.equal(refused.status, 400);
    assert.match(refused.body.message, /egress\.url: not a URL/);
  });

  test('none of the secrets is in any response, in /metrics or in the log from start to stop', async () => {
    const metrics = await read('/metrics');
    assert.match(metrics, /vigil_egress_state\{camera="gate",state="live"\} 1/, '/metrics was read');
    await read('/healthz');
    await vigil.stop();
    assert.ok(log.some((line) => line.text.includes(`egress of the raw stream to rtmp://127.0.0.1:${rtmp.port}/live/***`)), 'the egress start is logged');
    assert.ok(log.some((line) => /webhooks to slack \(http:\/\/127\.0\.0\.1:\d+\/\*\*\*\), down \(http:\/\/127\.0\.0\.1:\d+\/\*\*\*\)/.test(line.text)), 'the webhooks are logged');
    assert.ok(log.some((line) => /camera dead: error \(.+\)/.test(line.text)), "the dead camera's error is logged");
    assert.ok(log.some((line) => line.text.includes(`camera dock: egress to rtmp://127.0.0.1:${closedPort}/live/*** error: ffmpeg`)), "the failing push's full reason is logged");
    assert.ok(log.some((line) => /stopped in \d+ ms/.test(line.text)), 'the log runs to the end');
    const text = log.map((line) => line.text).join('\n');
    for (const [name, secret] of Object.entries(SECRET)) {
      for (const { request, text: body } of bodies) assert.ok(!body.includes(secret), `${name} in the answer to ${request}: ${body.slice(0, 2000)}`);
      const line = log.find((entry) => entry.text.includes(secret));
      assert.equal(line, undefined, `${name} in the log: ${line?.text}`);
    }
    assert.ok(bodies.length >= 10 && text.length > 0);
  });
});
