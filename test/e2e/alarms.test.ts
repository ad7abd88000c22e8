/**
 * Alarms end to end in the all-in-one process with a real redis-server, ffmpeg and an HTTP webhook receiver: violations
 * become one alarm per episode, with a snapshot and an H.264 clip from `pre` before to `post` after, in the API (filters,
 * paging, Range, bad ids), on Socket.IO, and as signed webhooks. The `yard` camera raises alarms the real way (motion
 * in an intrusion zone); the `dock` camera has detection on without rules, and the test writes its violations into
 * the stream itself so that the episode's times, and so the clip's window, are known exactly.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { io, type Socket } from '../support/io';
import { keys, type Ack, type AlarmEvent, type AlarmRecord, type AlarmWebhookPayload, type ViolationEvent } from '@vigil/contracts';
import { requireExecutable, startRedisServer, startVigil, type RedisServerHandle, type VigilHandle } from '../../scripts/support';
import { getJson } from '../support/api';
import { waitFor } from '../support/wait';
import { newWebhookSecret } from '../support/webhook-fixtures';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const run = promisify(execFile);
const WHOLE_FRAME = { id: 'all', polygon: [[0, 0], [1, 0], [1, 1], [0, 1]] as [number, number][] };
const PRE_S = 2;
const POST_S = 2;
const FPS = 10;

interface Page {
  items: AlarmRecord[];
  next: string | null;
}

describe('alarms end to end', { timeout: 180_000 }, () => {
  let redis: RedisServerHandle;
  let vigil: VigilHandle;
  let receiver: WebhookReceiver;
  let probe: Redis;
  let socket: Socket;
  const secret = newWebhookSecret();
  const events: AlarmEvent[] = [];
  /** the dock episode the test injects */
  let dock: AlarmRecord;

  before(async () => {
    redis = await startRedisServer();
    probe = new Redis(redis.url);
    receiver = await startWebhookReceiver({ secret });
    const small = { width: 320, height: 240, fps: FPS };
    vigil = await startVigil({
      redisUrl: redis.url,
      env: {
        ALARM_PRE_SECONDS: String(PRE_S),
        ALARM_POST_SECONDS: String(POST_S),
        ALARM_QUIET_SECONDS: '1',
        ALARM_COOLDOWN_SECONDS: '600',
        WEBHOOK_URL: receiver.url,
        WEBHOOK_SECRET: secret,
        WEBHOOK_RETRY_SECONDS: '0,0.5,1,2',
        PUBLIC_URL: 'https://vigil.example.com/',
      },
      cameras: [
        { id: 'yard', url: 'test://ball', ...small, detect: { detector: 'motion', minFrames: 2, zones: [WHOLE_FRAME], rules: [{ id: 'intrusion', kind: 'intrusion', classes: ['motion'], zone: 'all' }] } },
        { id: 'dock', url: 'test://smpte', ...small, detect: { detector: 'motion' } },
      ],
    });
    socket = io(vigil.url, { transports: ['websocket'], reconnection: false });
    socket.on('alarm', (event: AlarmEvent) => events.push(event));
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('connect_error', reject));
    const ack: Ack = await socket.timeout(10_000).emitWithAck('subscribe', { camera: 'dock' } as never);
    assert.deepEqual(ack, { ok: true });
  });

  after(async () => {
    socket?.disconnect();
    await probe?.quit();
    await vigil?.stop();
    await receiver?.close();
    await redis?.stop();
  });

  /** Writes a violation for `dock` into the stream, as inference would. */
  async function violate(ts: number, score: number, seq = ts): Promise<void> {
    const event: ViolationEvent = {
      camera: 'dock',
      rule: 'loading-bay',
      kind: 'intrusion',
      classes: ['person'],
      score,
      detections: [{ label: 'person', classId: 0, score, box: [0.2, 0.2, 0.6, 0.9] }],
      seq,
      ts,
      frames: 2,
    };
    await probe.xadd(keys.violations, '*', 'camera', event.camera, 'rule', event.rule, 'event', JSON.stringify(event));
  }

  test('a real intrusion raises an alarm with a snapshot, and a long violation stays one alarm', async () => {
    const { body } = await waitFor('a yard alarm', async () => {
      const page = await getJson<Page>(`${vigil.url}/api/alarms?camera=yard`);
      return page.body.items.some((alarm) => alarm.snapshot) ? page : undefined;
    }, 60_000); // a minute: on two busy cores inference and its motion detector take a while to start
    assert.equal(body.items.length, 1, 'the ball never leaves the zone: one episode, however many violations');
    const alarm = body.items[0]!;
    assert.equal(alarm.rule, 'intrusion');
    assert.equal(alarm.state, 'active');
    const snapshot = await fetch(`${vigil.url}/api/alarms/${alarm.id}/snapshot`);
    assert.equal(snapshot.status, 200);
    assert.equal(snapshot.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual([...new Uint8Array(await snapshot.arrayBuffer()).subarray(0, 2)], [0xff, 0xd8]);
  });

  test('an episode of violations is one alarm: start, update for a better score, end after the quiet time', async () => {
    // wait until the ring holds more than `pre` seconds of dock frames
    await new Promise((resolve) => setTimeout(resolve, (PRE_S + 1) * 1000));
    const t0 = Date.now();
    await violate(t0, 0.6);
    await violate(t0 + 300, 0.6);
    await violate(t0 + 600, 0.8);
    await violate(t0 + 900, 0.7);
    const end = await waitFor('the end event', () => events.find((event) => event.alarm.camera === 'dock' && event.type === 'end'), 20_000);
    const mine = events.filter((event) => event.alarm.id === end.alarm.id);
    assert.deepEqual(mine.filter((event) => event.type !== 'update' || event.alarm.clip.state === 'recording').map((event) => event.type), ['start', 'update', 'end']);
    dock = end.alarm;
    assert.equal(dock.startedAt, t0);
    assert.equal(dock.endedAt, t0 + 900);
    assert.equal(dock.score, 0.8);
    assert.equal(dock.violations, 4);
  });

  test('the clip is H.264 MP4 from pre before the start to post after the last violation', async () => {
    const ready = await waitFor('the clip', async () => {
      const { body } = await getJson<AlarmRecord>(`${vigil.url}/api/alarms/${dock.id}`);
      if (body.clip.state === 'failed') throw new Error(`clip failed: ${body.clip.error}`);
      return body.clip.state === 'ready' ? body : undefined;
    }, 30_000);
    assert.ok(events.some((event) => event.alarm.id === dock.id && event.type === 'update' && event.alarm.clip.state === 'ready'), 'clients hear that the clip is ready');
    const clip = ready.clip;
    assert.ok(clip.from! <= dock.startedAt - PRE_S * 1000 + 1000 / FPS, `the first frame (${clip.from}) is from pre seconds before the event (${dock.startedAt})`);
    assert.ok(clip.to! >= dock.endedAt! + POST_S * 1000 - 2000 / FPS, 'the last frame is from post seconds after the last violation');

    const path = `${vigil.alarmsDir}/${dock.id}.mp4`;
    const ffprobe = requireExecutable('ffprobe', 'apt-get install ffmpeg');
    const { stdout } = await run(ffprobe, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,pix_fmt:format=duration', '-of', 'json', path]);
    const info = JSON.parse(stdout) as { streams: { codec_name: string; pix_fmt: string }[]; format: { duration: string } };
    assert.equal(info.streams[0]!.codec_name, 'h264');
    assert.equal(info.streams[0]!.pix_fmt, 'yuv420p');
    const expected = PRE_S + 0.9 + POST_S;
    const duration = Number(info.format.duration);
    assert.ok(Math.abs(duration - expected) <= 2.5 / FPS, `duration ${duration} s, expected ${expected} s within two frames`);
  });

  test('the clip is served with Range support, so a browser can seek', async () => {
    const full = await fetch(`${vigil.url}/api/alarms/${dock.id}/clip`);
    assert.equal(full.status, 200);
    assert.equal(full.headers.get('content-type'), 'video/mp4');
    assert.equal(full.headers.get('accept-ranges'), 'bytes');
    const size = (await full.arrayBuffer()).byteLength;
    const part = await fetch(`${vigil.url}/api/alarms/${dock.id}/clip`, { headers: { range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 100-199/${size}`);
    assert.equal((await part.arrayBuffer()).byteLength, 100);
    const beyond = await fetch(`${vigil.url}/api/alarms/${dock.id}/clip`, { headers: { range: `bytes=${size + 10}-` } });
    assert.equal(beyond.status, 416);
  });

  test('webhooks: signed start and end with links, delivery state in the API', async () => {
    await receiver.uniqueCount(2, 20_000);
    const bodies = [...receiver.unique.values()].map((request) => JSON.parse(request.body) as AlarmWebhookPayload).filter((body) => body.data.id === dock.id);
    assert.deepEqual(bodies.map((body) => body.type).sort(), ['alarm.end', 'alarm.start']);
    const start = bodies.find((body) => body.type === 'alarm.start')!;
    assert.equal(start.data.camera, 'dock');
    assert.equal(start.data.links.alarm, `https://vigil.example.com/api/alarms/${dock.id}`);
    assert.match(start.data.links.clip, new RegExp(`^https://vigil\\.example\\.com/api/alarms/${dock.id}/clip\\?exp=\\d+&sig=[\\w-]{43}$`));
    // the receiver has no account: the signed links open the clip and the snapshot all the same, and only those
    const local = (link: string) => link.replace('https://vigil.example.com', vigil.url);
    const anonymous = { headers: { authorization: '' } };
    const clip = await fetch(local(start.data.links.clip), anonymous);
    assert.equal(clip.status, 200);
    assert.equal(clip.headers.get('content-type'), 'video/mp4');
    assert.equal((await fetch(local(start.data.links.snapshot), anonymous)).status, 200);
    assert.equal((await fetch(local(start.data.links.alarm), anonymous)).status, 401);
    assert.equal((await fetch(local(start.data.links.clip).replace(/sig=(.)/, (_, first: string) => `sig=${first === 'A' ? 'B' : 'A'}`), anonymous)).status, 404, 'tampered');
    assert.ok(receiver.requests.every((request) => request.invalid === null), 'every signature verifies');
    const detail = await waitFor('delivered state', async () => {
      const { body } = await getJson<AlarmRecord & { deliveries: { state: string }[] }>(`${vigil.url}/api/alarms/${dock.id}`);
      return body.deliveries.length === 2 && body.deliveries.every((delivery) => delivery.state === 'delivered') ? body : undefined;
    });
    assert.equal(detail.deliveries.length, 2);
  });

  test('listing: filters by camera, rule and time, newest first, with cursor paging', async () => {
    const all = (await getJson<Page>(`${vigil.url}/api/alarms`)).body;
    assert.ok(all.items.length >= 2);
    assert.ok(all.items.every((alarm, i) => i === 0 || all.items[i - 1]!.startedAt >= alarm.startedAt), 'newest first');
    const byRule = (await getJson<Page>(`${vigil.url}/api/alarms?rule=loading-bay`)).body;
    assert.deepEqual(byRule.items.map((alarm) => alarm.id), [dock.id]);
    const both = (await getJson<Page>(`${vigil.url}/api/alarms?camera=dock&rule=loading-bay`)).body;
    assert.deepEqual(both.items.map((alarm) => alarm.id), [dock.id]);
    const before = (await getJson<Page>(`${vigil.url}/api/alarms?camera=dock&until=${dock.startedAt - 1}`)).body;
    assert.deepEqual(before.items, []);
    const since = (await getJson<Page>(`${vigil.url}/api/alarms?since=${new Date(dock.startedAt).toISOString()}&rule=loading-bay`)).body;
    assert.deepEqual(since.items.map((alarm) => alarm.id), [dock.id]);

    const first = (await getJson<Page>(`${vigil.url}/api/alarms?limit=1`)).body;
    assert.equal(first.items.length, 1);
    assert.ok(first.next);
    const second = (await getJson<Page>(`${vigil.url}/api/alarms?limit=1&cursor=${encodeURIComponent(first.next!)}`)).body;
    assert.equal(second.items.length, 1);
    assert.notEqual(second.items[0]!.id, first.items[0]!.id);
    assert.deepEqual([first.items[0]!.id, second.items[0]!.id], all.items.slice(0, 2).map((alarm) => alarm.id));
  });

  test('bad ids and queries are 400 or 404 with a message, never a file outside the clip directory', async () => {
    for (const path of ['..%2F..%2F..%2Fetc%2Fpasswd', '..%2Fcameras.json', 'not-an-id', '%2e%2e']) {
      for (const suffix of ['', '/clip', '/snapshot']) {
        const response = await fetch(`${vigil.url}/api/alarms/${path}${suffix}`);
        assert.ok(response.status === 400 || response.status === 404, `${path}${suffix}: ${response.status}`);
        const body = (await response.json()) as { message: string };
        assert.ok(body.message.length > 0);
      }
    }
    const unknown = await getJson<{ message: string }>(`${vigil.url}/api/alarms/0000000000123456789/clip`);
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.message, /unknown alarm/);
    for (const query of ['limit=0', 'limit=abc', 'since=yesterday', 'camera=../x', 'cursor=nope', 'since=5&until=4', 'colour=red']) {
      const response = await getJson<{ message: string }>(`${vigil.url}/api/alarms?${query}`);
      assert.equal(response.status, 400, query);
      assert.ok(response.body.message, query);
    }
  });

  test('a malformed violation entry is skipped with a log line, and later ones still raise alarms', async () => {
    await probe.xadd(keys.violations, '*', 'event', '{not json');
    await waitFor('the log line', () => vigil.child.lastLines().some((line) => /dropped a bad message on vigil:violations \(json: /.test(line.text)));
    assert.equal(await probe.xpending(keys.violations, keys.violationsGroup).then((reply) => Number((reply as unknown[])[0])), 0, 'nothing left pending');
  });
});
