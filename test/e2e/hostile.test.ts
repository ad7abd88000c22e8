/**
 * The attacker's suite against the all-in-one process: hundreds of bad inputs over REST, Socket.IO
 * and the Redis bus while two healthy cameras stream. Every refusal must be a 4xx or `ok: false`
 * with a message; inputs that are legal but hostile (an injection payload as a password) may be
 * accepted, and must then do no harm. Throughout: the process never exits, no file appears where a
 * payload aimed, the healthy cameras keep streaming, and memory stays within a stated bound.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { io, type Socket } from '../support/io';
import { channels, encodeFrame, keys, type Ack } from '@vigil/contracts';
import { startRedisServer, startRtspServer, startVigil, testPatternLaunch, type RedisServerHandle, type RtspServerHandle, type VigilHandle } from '../../scripts/support';
import { FrameTap } from '../support/frame-tap';
import { descendants } from '../support/process-tree';
import { waitFor } from '../support/wait';

/** PSS of the whole process tree may grow by at most this much over the attack (two healthy cameras run throughout). */
const MEMORY_GROWTH_BOUND_MB = 300;

interface Tally {
  tried: number;
  refused: number;
  accepted: number;
}

describe('hostile inputs against the all-in-one process', { timeout: 300_000 }, () => {
  let redis: RedisServerHandle;
  let rtsp: RtspServerHandle;
  let vigil: VigilHandle;
  let probe: Redis;
  let tap: FrameTap;
  /** every payload that tries to write a file aims here */
  const canary = mkdtempSync(join(tmpdir(), 'vigil-canary-'));
  const tally = new Map<string, Tally>();
  let pssBefore = 0;
  let childrenBefore = 0;

  const count = (kind: string, outcome: 'refused' | 'accepted') => {
    const entry = tally.get(kind) ?? { tried: 0, refused: 0, accepted: 0 };
    entry.tried += 1;
    entry[outcome] += 1;
    tally.set(kind, entry);
  };

  /** A refusal: 4xx with a message. */
  const refuse = async (kind: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, mentions?: string) => {
    const response = await fetch(`${vigil.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    const label = `${method} ${path.slice(0, 80)} ${typeof body === 'string' ? body.slice(0, 80) : JSON.stringify(body)?.slice(0, 120)}`;
    assert.ok(response.status >= 400 && response.status < 500, `${label}: wanted a 4xx, got ${response.status} ${text.slice(0, 200)}`);
    if (response.status !== 431 && response.status !== 413) {
      const message = (JSON.parse(text) as { message?: unknown }).message;
      assert.ok(typeof message === 'string' || Array.isArray(message), `${label}: a message says why (${text.slice(0, 200)})`);
      if (mentions) assert.match(String(message), new RegExp(mentions), `${label}: the message names the bound`);
    }
    count(kind, 'refused');
  };

  /** Legal input carrying a payload: accepted, and later checked to have done nothing. */
  const accept = async (kind: string, body: Record<string, unknown>) => {
    const response = await fetch(`${vigil.url}/api/cameras`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(response.status, 201, `${JSON.stringify(body).slice(0, 200)}: ${await response.text()}`);
    count(kind, 'accepted');
  };

  const stillStreaming = async () => {
    assert.equal(vigil.child.process.exitCode, null, 'the process is still running');
    await tap.next(3, 20_000);
  };

  before(async () => {
    redis = await startRedisServer();
    probe = new Redis(redis.url);
    rtsp = await startRtspServer({ mounts: { '/yard': testPatternLaunch({ width: 640, height: 360, fps: 15, codec: 'h264' }) } });
    vigil = await startVigil({
      redisUrl: redis.url,
      cameras: [
        { id: 'yard', url: rtsp.url('/yard'), codec: 'h264' },
        { id: 'gate', url: 'test://ball', width: 320, height: 240, fps: 10 },
      ],
    });
    tap = await FrameTap.open(redis.url, 'gate');
    await tap.next(3, 30_000);
    pssBefore = treePssMb(vigil.child.process.pid!);
    childrenBefore = descendants(vigil.child.process.pid!).length;
  });

  after(async () => {
    await tap?.close();
    await probe?.quit();
    await vigil?.stop();
    await rtsp?.stop();
    await redis?.stop();
    const rows = [...tally.entries()].map(([kind, t]) => `| ${kind} | ${t.tried} | ${t.refused} | ${t.accepted} |`);
    const total = [...tally.values()].reduce((sum, t) => sum + t.tried, 0);
    console.log(['| kind | tried | refused | accepted, harmless |', '|---|---|---|---|', ...rows, `| all | ${total} | | |`].join('\n'));
  });

  test('pipeline injection through credentials, paths and queries does nothing', async () => {
    const users = ['\\', '\\\\', 'a\\', '"', '\\"', "'", '!', ' ! '];
    let n = 0;
    for (const scheme of ['rtsp', 'http']) {
      for (const user of users) {
        const target = join(canary, `pwned-${++n}`);
        // the live attack: the payload ends in a new source element and "user-id=", which swallows the quote after it
        const payload = `! fakesink filesrc location=/etc/hostname ! filesink location=${target} ${scheme === 'rtsp' ? 'rtspsrc location=rtsp' : 'souphttpsrc location=http'}://x/y user-id=`;
        const host = scheme === 'rtsp' ? `127.0.0.1:${rtsp.port}/yard` : '127.0.0.1:9/x.mjpg';
        const url = `${scheme}://${encodeURIComponent(user)}:${encodeURIComponent(payload)}@${host}?q=${encodeURIComponent(payload)}`;
        await accept('REST: injection payload in URL (legal, harmless)', { id: `inject-${n}`, url, codec: 'h264', width: 160, height: 120, fps: 5 });
      }
    }
    for (const path of ['" ! filesink location="', '\\" ! filesink location=\\"', '%d ! filesink location=']) {
      const target = join(canary, `pwned-${++n}`);
      await refuse('REST: injection payload in file path (outside media roots)', 'POST', '/api/cameras', { id: `inject-${n}`, url: `/tmp/x${path}${target}`, codec: 'h264' });
    }
    // give the pipelines time to be built and run (the rtsp ones really connect), then look for their files
    // the rtsp ones reach the real server (it asks for no password) and must go live; the http ones fail
    // to connect and retry: either way their pipelines were built and set playing, which is when a
    // filesink would write. Stop at once if a file appears.
    await waitFor('every injected rtsp camera live, every http one retried twice', async () => {
      assert.deepEqual(readdirSync(canary), [], 'no payload wrote a file');
      const statuses = Object.values(await probe.hgetall(keys.cameraStatus)).map((json) => JSON.parse(json) as { id: string; state: string; reconnects: number; pipeline?: string });
      const injected = statuses.filter((status) => status.id.startsWith('inject-'));
      const done = injected.filter((status) => (status.pipeline?.startsWith('rtspsrc') ? status.state === 'live' : status.reconnects >= 2));
      return done.length >= users.length * 2;
    }, 180_000);
    await stillStreaming();
    assert.deepEqual(readdirSync(canary), [], 'no payload wrote a file');
    // the accepted cameras are legal ones and cost a capture each: remove them so memory is compared like for like
    for (let i = 1; i <= users.length * 2; i++) assert.equal((await fetch(`${vigil.url}/api/cameras/inject-${i}`, { method: 'DELETE' })).status, 204);
    await waitFor('their captures stopped', () => descendants(vigil.child.process.pid!).length <= childrenBefore, 30_000);
  });

  test('secrets in camera, egress and query URLs reach no API answer, metric or log line', async () => {
    const secrets = ['Hunter2Secret', 'StreamKey9xq', 'QueryTok3n', 'sk8f3aQ7vLm2Zp9R4tW6yB1c'];
    const log: string[] = [];
    const stop = vigil.child.onLine((line) => log.push(line.text));
    try {
      const cameras = [
        { id: 'mask-rtsp', url: `rtsp://admin:${secrets[0]}@127.0.0.1:9/s?token=${secrets[2]}`, codec: 'h264', egress: { url: `rtmp://127.0.0.1:9/live/${secrets[1]}`, stream: 'raw' } },
        { id: 'mask-http', url: `http://127.0.0.1:9/video.cgi?user=admin&password=${secrets[0]}`, egress: { url: `rtmp://127.0.0.1:9/live/${secrets[3]}`, stream: 'raw' } },
      ];
      for (const camera of cameras) await accept('REST: secrets to mask (legal)', camera);
      await waitFor('both cameras failed to connect and egress tried to push', async () => {
        const statuses = Object.values(await probe.hgetall(keys.cameraStatus)).map((json) => JSON.parse(json) as { id: string; reconnects: number });
        return statuses.filter((status) => status.id.startsWith('mask-') && status.reconnects >= 1).length === 2;
      }, 60_000);
      const outputs = await Promise.all(['/api/cameras', '/api/cameras/mask-rtsp', '/api/egress', '/metrics'].map(async (path) => `${path}: ${await (await fetch(`${vigil.url}${path}`)).text()}`));
      for (const text of [...outputs, ...log, ...vigil.child.lastLines().map((line) => line.text)]) {
        for (const secret of secrets) {
          const at = text.indexOf(secret);
          assert.ok(at < 0, `a secret in ${text.slice(0, 20)}: ...${text.slice(Math.max(0, at - 250), at + 40)}`);
        }
      }
      assert.ok(outputs[0]!.includes('rtmp://127.0.0.1:9/live/***'), 'the egress URL is shown masked');
    } finally {
      stop();
      for (const id of ['mask-rtsp', 'mask-http']) await fetch(`${vigil.url}/api/cameras/${id}`, { method: 'DELETE' });
    }
  });

  test('registry records written straight into Redis are refused', async () => {
    const target = join(canary, 'pwned-redis');
    const base = { url: 'test://ball', enabled: true, codec: 'auto', decoder: 'auto', transport: 'tcp', realtime: true, width: 160, height: 120, fps: 5 };
    const records: Record<string, unknown> = {
      'redis-quality': { ...base, id: 'redis-quality', jpegQuality: `80 ! fakesink videotestsrc num-buffers=1 ! filesink location=${target}` },
      'redis-width': { ...base, id: 'redis-width', jpegQuality: 80, width: `160,height=120 ! filesink location=${target}` },
      'redis-transport': { ...base, id: 'redis-transport', jpegQuality: 80, url: 'rtsp://127.0.0.1:9/x', transport: `tcp ! filesink location=${target}` },
      'redis-pattern': { ...base, id: 'redis-pattern', jpegQuality: 80, url: `test://ball ! filesink location=${target}` },
      'redis-mismatch': { ...base, id: 'someone-else', jpegQuality: 80 },
    };
    for (const [id, record] of Object.entries(records)) {
      await probe.hset(keys.cameras, id, JSON.stringify(record));
      count('Redis: hostile registry record', 'refused');
    }
    await probe.hset(keys.cameras, 'redis-junk', '{not json');
    count('Redis: hostile registry record', 'refused');
    await stillStreaming();
    const statuses = await probe.hgetall(keys.cameraStatus);
    assert.deepEqual(Object.keys(statuses).filter((id) => id.startsWith('redis-')), [], 'ingest started none of them');
    assert.equal(existsSync(target), false);
  });

  test('bad REST bodies, ids, paths and headers are 4xx with a message', async () => {
    const kind = 'REST: bad body';
    const bad: unknown[] = [
      null, 42, 'text', [], [1, 2], {}, { id: 'x' }, { url: 'test://ball' }, { id: '', url: 'test://ball' },
      { id: 'x'.repeat(65), url: 'test://ball' }, { id: '../x', url: 'test://ball' }, { id: 'a b', url: 'test://ball' }, { id: 'ä', url: 'test://ball' },
      { id: 'x', url: 'test://ball', constructor: { prototype: { admin: true } } },
      { id: 'x', url: '' }, { id: 'x', url: 42 }, { id: 'x', url: ['test://ball'] }, { id: 'x', url: 'ftp://x/y' }, { id: 'x', url: 'gopher://x' },
      { id: 'x', url: 'javascript:alert(1)' }, { id: 'x', url: 'rtsp://' }, { id: 'x', url: 'rtsp://a b/c' }, { id: 'x', url: 'rtsp://cam/\n! filesink' },
      { id: 'x', url: 'rtsp://%E0%A4%A:x@cam/s' }, { id: 'x', url: 'test://nope' }, { id: 'x', url: `rtsp://cam/${'a'.repeat(200_000)}` },
      { id: 'x', url: 'test://ball', fps: 0 }, { id: 'x', url: 'test://ball', fps: -1 }, { id: 'x', url: 'test://ball', fps: 1e9 }, { id: 'x', url: 'test://ball', fps: '10' },
      { id: 'x', url: 'test://ball', width: 1e6 }, { id: 'x', url: 'test://ball', width: 15 }, { id: 'x', url: 'test://ball', width: 320.5 }, { id: 'x', url: 'test://ball', height: -2 },
      { id: 'x', url: 'test://ball', width: 7680, height: 4320, fps: 240 },
      { id: 'x', url: 'test://ball', jpegQuality: 0 }, { id: 'x', url: 'test://ball', jpegQuality: 101 }, { id: 'x', url: 'test://ball', jpegQuality: 80.5 }, { id: 'x', url: 'test://ball', jpegQuality: '80 ! filesink' },
      { id: 'x', url: 'test://ball', codec: 'vp9' }, { id: 'x', url: 'test://ball', decoder: 'quantum' }, { id: 'x', url: 'test://ball', transport: 'tcp ! x' }, { id: 'x', url: 'test://ball', enabled: 'yes' },
      { id: 'x', url: 'test://ball', pipeline: 'videotestsrc ! filesink location=/tmp/x' }, { id: 'x', url: 'test://ball', name: 'n'.repeat(201) },
      { id: 'x', url: 'test://ball', detect: 'yes' }, { id: 'x', url: 'test://ball', detect: { rules: 'all' } },
      { id: 'x', url: 'test://ball', egress: { url: 'file:///tmp/x.flv' } }, { id: 'x', url: 'test://ball', egress: { url: '-y' } },
      { id: 'x', url: 'test://ball', egress: { url: `rtmp://host/live/${'k'.repeat(100_000)}` } },
    ];
    for (const body of bad) await refuse(kind, 'POST', '/api/cameras', body);
    // past each count bound but under the body limit, so that the bound itself answers, naming its variable
    const zone = { id: 'z', polygon: [[0, 0], [1, 0], [1, 1]] };
    const counted: Array<[string, unknown]> = [
      ['LIMIT_ZONE_POINTS', { zones: [{ id: 'z', polygon: Array.from({ length: 2_000 }, (_, i) => [(i % 7) / 7, (i % 5) / 5]) }] }],
      ['LIMIT_ZONES', { zones: Array.from({ length: 500 }, (_, i) => ({ ...zone, id: `z${i}` })) }],
      ['LIMIT_RULES', { zones: [zone], rules: Array.from({ length: 300 }, (_, i) => ({ id: `r${i}`, kind: 'intrusion', zone: 'z', classes: ['person'] })) }],
      ['LIMIT_RULE_CLASSES', { zones: [zone], rules: [{ id: 'r', kind: 'intrusion', zone: 'z', classes: Array.from({ length: 200 }, (_, i) => `c${i}`) }] }],
    ];
    for (const [name, detect] of counted) await refuse('REST: past a count bound', 'POST', '/api/cameras', { id: 'x', url: 'test://ball', detect }, {}, name);
    // PUT takes its id from the path, so a body of only a url is a good one there
    const badForPut = bad.filter((body) => JSON.stringify(body) !== JSON.stringify({ url: 'test://ball' }));
    for (const body of badForPut.slice(0, 20)) await refuse('REST: bad body (PUT)', 'PUT', '/api/cameras/gate-copy', body);
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    for (const text of ['{"id":"x","url":"test://ball","__proto__":{"admin":true}}', 'not json', '{"id": "x", ', deep, '{"id":"x","url":"test://ball"}'.repeat(2), '\u0000']) await refuse('REST: malformed JSON', 'POST', '/api/cameras', text);
    await refuse('REST: oversized body', 'POST', '/api/cameras', { id: 'x', url: 'test://ball', name: 'n'.repeat(2_000_000) });
    // what another site's form can send through a signed-in browser without a preflight: never parsed
    const simple: Array<[string, string]> = [
      ['application/x-www-form-urlencoded', 'id=formcam&url=test%3A%2F%2Fball'],
      ['text/plain', '{"id":"formcam","url":"test://ball"}'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="id"\r\n\r\nformcam\r\n--x--\r\n'],
      ['application/json-patch+json', '{"id":"formcam","url":"test://ball"}'],
    ];
    for (const [type, text] of simple) await refuse('REST: not JSON (415)', 'POST', '/api/cameras', text, { 'content-type': type });
    assert.equal((await fetch(`${vigil.url}/api/cameras/formcam`)).status, 404, 'no form body made a camera');

    const sources = [
      'file:///etc/passwd', '/etc/passwd', '/dev/zero', '/dev/mem', '/proc/self/environ', '/proc/self/mem', '-report', '-i', '--help', 'file:///-report',
      '/tmp/../etc/passwd', 'file:///tmp/%2e%2e/etc/passwd', 'file://localhost/etc/shadow', `${process.cwd()}/../../etc/passwd`, '/dev/video0', '/dev/video99', '/dev/tty',
    ];
    for (const url of sources) await refuse('REST: file or device outside the allowed set', 'POST', '/api/cameras', { id: 'src', url, codec: 'h264' });

    const metadata = [
      'http://169.254.169.254/latest/meta-data/', 'rtsp://169.254.169.254/x', 'http://169.254.0.1/', 'http://[fd00:ec2::254]/latest/', 'http://[fe80::1]/',
      'http://[::ffff:169.254.169.254]/', 'http://2852039166/', 'http://0xa9fea9fe/', 'http://0251.0376.0251.0376/', 'http://169.254.169.254.nip.io.',
    ].slice(0, 9);
    for (const url of metadata) await refuse('REST: link-local or metadata target', 'POST', '/api/cameras', { id: 'meta', url });

    const paths = [
      '/api/cameras/..%2F..%2Fetc%2Fpasswd', '/api/cameras/%00', `/api/cameras/${'x'.repeat(5000)}`, '/api/alarms/..%2F..%2Fetc%2Fpasswd/clip',
      '/api/alarms/%2e%2e/snapshot', '/api/alarms/nope/clip', '/api/alarms/nope/snapshot', '/api/alarms?limit=-1', '/api/alarms?limit=1e9', '/api/alarms?camera=../x',
      '/api/alarms?since=yesterday', '/api/cameras/nope', '/api/nothing-here', '/clips/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd',
    ];
    for (const path of paths) await refuse('REST: hostile path or query', 'GET', path);
    for (const path of ['/api/cameras/nope', '/api/cameras/..%2Fgate', '/api/cameras/%00']) await refuse('REST: hostile path or query', 'DELETE', path);
    await refuse('REST: hostile header', 'GET', '/api/cameras', undefined, { 'x-junk': 'j'.repeat(100_000) });
    await refuse('REST: hostile header', 'POST', '/api/cameras', '{"id":"x"}', { 'content-type': 'application/json', 'content-length': '99999999999' }).catch(() => count('REST: hostile header', 'refused'));
    await stillStreaming();
  });

  test('hostile Socket.IO payloads get ok:false and the socket and process stay up', async () => {
    const socket: Socket = io(vigil.url, { transports: ['websocket'], reconnection: false });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('connect_error', reject));
    const kind = 'Socket.IO: bad subscribe';
    const payloads: unknown[] = [
      null, undefined, 0, 42, 'gate', '', [], ['gate'], true, {}, { camera: 1 }, { camera: null }, { camera: '' }, { camera: '../gate' }, { camera: 'nope' },
      { camera: 'gate', stream: 'bogus' }, { camera: 'gate', stream: 'annotated' }, { camera: 'gate', format: 'exe' }, { camera: 'gate', format: 1 },
      { camera: 'x'.repeat(5000) }, { camera: 'gate', extra: 'x'.repeat(10_000) }, { camera: { $gt: '' } }, { __proto__: { camera: 'gate' } },
      { camera: 'gate\u0000' }, { camera: 'gate', stream: 'raw\n' },
    ];
    for (const event of ['subscribe', 'unsubscribe'] as const) {
      for (const payload of payloads) {
        if (event === 'subscribe' && JSON.stringify(payload) === JSON.stringify({ camera: 'gate', stream: 'annotated' })) continue;
        const ack = (await socket.timeout(10_000).emitWithAck(event, payload as never)) as Ack;
        if (event === 'unsubscribe' && ack.ok) continue; // unsubscribing from nothing may be a no-op
        assert.equal(ack.ok, false, `${event} ${JSON.stringify(payload)?.slice(0, 100)}`);
        assert.ok(!ack.ok && typeof ack.error === 'string' && ack.error.length > 0);
        count(`Socket.IO: bad ${event}`, 'refused');
      }
    }
    // no ack callback, unknown events, binary junk: nothing to answer, nothing may break
    for (const payload of payloads) {
      socket.emit('subscribe', payload as never);
      count('Socket.IO: no ack, unknown event, binary', 'refused');
    }
    for (const event of ['__proto__', 'constructor', 'hasOwnProperty', 'x'.repeat(1000), 'frame']) {
      socket.emit(event as never, { camera: 'gate' } as never);
      count('Socket.IO: no ack, unknown event, binary', 'refused');
    }
    socket.emit('subscribe' as never, Buffer.alloc(8 * 1024, 1) as never);
    count('Socket.IO: no ack, unknown event, binary', 'refused');
    const good = (await socket.timeout(10_000).emitWithAck('subscribe', { camera: 'gate' } as never)) as Ack;
    assert.equal(good.ok, true, 'the same socket still works for a good request');
    socket.disconnect();
    // a payload past the size limit: the server drops that socket (Socket.IO's maxHttpBufferSize), nothing else
    const big: Socket = io(vigil.url, { transports: ['websocket'], reconnection: false });
    await new Promise<void>((resolve, reject) => big.once('connect', resolve).once('connect_error', reject));
    const closed = new Promise<void>((resolve) => big.once('disconnect', () => resolve()));
    big.emit('subscribe', { camera: 'x'.repeat(4 * 1024 * 1024) } as never);
    await closed;
    count(kind, 'refused');
    await stillStreaming();
  });

  test('junk on the Redis bus is dropped and nothing stops', async () => {
    const good = encodeFrame({ camera: 'gate', stream: 'raw', seq: 1, ts: Date.now(), width: 320, height: 240, format: 'jpeg', data: Buffer.from([0xff, 0xd8, 0xff, 0xd9]) } as never);
    const frames: Buffer[] = [
      Buffer.alloc(0), Buffer.from('hello'), Buffer.alloc(16, 0xff), Buffer.alloc(4096, 0), good.subarray(0, 10), Buffer.concat([good, Buffer.alloc(10)]),
      (() => { const b = Buffer.from(good); b.writeUInt8(0xff, 0); return b; })(), Buffer.alloc(8 * 1024 * 1024, 7),
      encodeFrame({ camera: 'yard', stream: 'raw', seq: 1, ts: Date.now(), width: 320, height: 240, format: 'jpeg', data: Buffer.from('not a jpeg') } as never),
    ];
    for (const camera of ['gate', 'yard', 'nope']) {
      for (const frame of frames) {
        await probe.publish(channels.frames(camera, 'raw'), frame);
        count('Redis bus: bad frame', 'refused');
      }
    }
    const events = ['', 'null', '[]', '{', '{"camera":1}', JSON.stringify({ camera: 'gate', detections: 'many' }), JSON.stringify({ camera: 'gate', detections: [{ box: 'x' }] }), 'x'.repeat(2_000_000)];
    for (const camera of ['gate', 'yard']) {
      for (const text of events) {
        await probe.publish(channels.detections(camera), text);
        await probe.publish(channels.alarms(camera), text);
        count('Redis bus: bad detections or alarm event', 'refused');
        count('Redis bus: bad detections or alarm event', 'refused');
      }
    }
    for (const text of ['', '{', '{"pattern":"cameras.changed","data":{"__proto__":1}}', JSON.stringify({ pattern: 'cameras.changed', data: 'x'.repeat(100_000) })]) {
      await probe.publish('cameras.changed', text);
      count('Redis bus: bad control message', 'refused');
    }
    for (const fields of [['event', ''], ['event', '{'], ['event', JSON.stringify({ camera: 'gate' })], ['nothing', 'x'], ['event', JSON.stringify({ camera: '../x', rule: 'r', ts: 'now' })]]) {
      await probe.xadd(keys.violations, '*', ...fields);
      count('Redis bus: bad violation entry', 'refused');
    }
    await stillStreaming();
    await tap.next(10, 20_000);
  });

  test('afterwards: still running, no stray files, memory within bound', async () => {
    await stillStreaming();
    assert.deepEqual(readdirSync(canary), []);
    const pssAfter = treePssMb(vigil.child.process.pid!);
    console.log(`PSS of the vigil process tree: ${pssBefore.toFixed(0)} MB before, ${pssAfter.toFixed(0)} MB after`);
    assert.ok(pssAfter - pssBefore < MEMORY_GROWTH_BOUND_MB, `PSS grew by ${(pssAfter - pssBefore).toFixed(0)} MB (bound ${MEMORY_GROWTH_BOUND_MB} MB)`);
    const total = [...tally.values()].reduce((sum, t) => sum + t.tried, 0);
    assert.ok(total >= 200, `${total} hostile inputs tried`);
  });
});

/** Proportional set size of a process and its descendants, MB (shared pages split among their users). */
function treePssMb(pid: number): number {
  let kb = 0;
  for (const id of [pid, ...descendants(pid)]) {
    try {
      const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${id}/smaps_rollup`, 'utf8'));
      kb += Number(match?.[1] ?? 0);
    } catch {
      // exited meanwhile
    }
  }
  return kb / 1024;
}
