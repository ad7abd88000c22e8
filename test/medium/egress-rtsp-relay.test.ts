/**
 * RTSP egress with credentials, through the loopback relay, against a real RTSP server that takes RECORD only with
 * a password (gst-rtsp-server, Digest and Basic): the stream arrives and decodes, no process shows the password on
 * its command line, a wrong password or an absent server is a clear reason in the status, and a local connection to
 * the relay that is not ffmpeg's is turned away.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CaptureTimedVideo, pushEpoch } from '../../apps/egress/src/push/capture-clock';
import { FfmpegPush } from '../../apps/egress/src/push/ffmpeg-push';
import { pushArgs } from '../../apps/egress/src/push/push-args';
import type { Pusher } from '../../apps/egress/src/push/pusher';
import { RtspRelay } from '../../libs/media/src/push/rtsp-relay';
import { rtspTarget } from '../../libs/media/src/push/rtsp-target';
import { maskUrl } from '@vigil/contracts';
import { freePort } from '../../scripts/support';
import { feedFrames, testJpegs, testPusher } from '../support/egress-feed';
import { processArgv } from '../support/process-tree';
import { startRtspRecordServer, type RtspRecordServer } from '../support/rtsp-record-server';
import { sampleStream } from '../support/stream-sample';
import { waitFor } from '../support/wait';

const WIDTH = 320;
const HEIGHT = 180;
const FPS = 10;
const USER = 'pusher';
// distinctive, so a search of every argv cannot miss it or match something else
const PASSWORD = 'Pa55-w0rd-x7Q';
const PATH = '/live/k9Zq3tR8vW2pL5mN';

let dir: string;
let jpegs: Buffer[];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-rtsp-relay-'));
  jpegs = await testJpegs(join(dir, 'frames'), WIDTH, HEIGHT);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function feed(pusher: Pusher): () => void {
  return feedFrames((frame) => pusher.offer(frame), jpegs, { width: WIDTH, height: HEIGHT }, FPS);
}

/** Pushes to `url` until `done` holds, then ends the push; returns its status at that moment. */
async function pushUntil(url: string, what: string, done: (pusher: Pusher) => boolean | Promise<boolean>) {
  const pusher = testPusher({ url, fps: FPS, bitrate: 300 });
  const stop = feed(pusher);
  try {
    await waitFor(what, () => done(pusher), 30_000);
    return pusher.status();
  } finally {
    stop();
    await pusher.close();
  }
}

for (const auth of ['digest', 'basic'] as const) {
  describe(`RTSP push with ${auth} authentication (gst-rtsp-server, RECORD)`, () => {
    let server: RtspRecordServer;

    before(async () => {
      server = await startRtspRecordServer({ auth, credentials: `${USER}:${PASSWORD}`, path: PATH, file: join(dir, `${auth}.ts`) });
    });

    after(async () => {
      await server?.stop();
    });

    test("the stream arrives and decodes, and no process's argv shows the password or the path", async () => {
      const pusher = testPusher({ url: server.url(`${USER}:${PASSWORD}`), fps: FPS, bitrate: 300 });
      const stop = feed(pusher);
      try {
        await waitFor('the push to be live', () => pusher.status().state === 'live', 30_000);
        // ourselves included: the test process and every child (ffmpeg, the RTSP server)
        const processes = processArgv(process.pid);
        assert.ok(processes.some(({ argv }) => argv[0] === 'ffmpeg'), `ffmpeg runs: ${JSON.stringify(processes)}`);
        for (const { pid, argv } of processes) {
          // the test server is told its path on its command line; ffmpeg must not be
          const secrets = argv[0] === 'ffmpeg' ? [PASSWORD, encodeURIComponent(PASSWORD), PATH] : [PASSWORD, encodeURIComponent(PASSWORD)];
          for (const secret of secrets) assert.ok(!argv.some((arg) => arg.includes(secret)), `pid ${pid} shows ${secret}: ${argv.join(' ')}`);
        }
        await waitFor('frames at the server', async () => pusher.status().pushed >= 30 && (await stat(server.file)).size > 0, 30_000);
      } finally {
        stop();
        await pusher.close();
      }
      const sample = await sampleStream(server.file, 30);
      assert.equal(sample.codec, 'h264');
      assert.deepEqual([sample.width, sample.height], [WIDTH, HEIGHT]);
      assert.ok(sample.frames >= 10, `only ${sample.frames} frames reached the server`);
    });

    test('a wrong password: the push is in error, the reason says the server refused the credentials and shows neither password', async () => {
      const wrong = 'wr0ng-Pa55-y3K';
      const status = await pushUntil(server.url(`${USER}:${wrong}`), 'an error', (pusher) => pusher.status().state === 'error');
      assert.match(status.reason ?? '', /RTSP server refused the credentials \(401 Unauthorized to \w+ with (Digest|Basic) authorization\)/);
      assert.equal(status.reason?.includes(auth === 'digest' ? 'Digest' : 'Basic'), true, status.reason);
      for (const secret of [wrong, PASSWORD]) assert.ok(!JSON.stringify(status).includes(secret), JSON.stringify(status));
      assert.equal(status.url, maskUrl(server.url(`${USER}:${PASSWORD}`)));
    });
  });
}

describe('RTSP push: the server is not there', () => {
  test('nothing listens: the reason names the server and the refusal, and no credential', async () => {
    const port = await freePort();
    const status = await pushUntil(`rtsp://${USER}:${PASSWORD}@127.0.0.1:${port}${PATH}`, 'an error', (pusher) => pusher.status().state === 'error');
    assert.match(status.reason ?? '', new RegExp(`could not reach the RTSP server 127\\.0\\.0\\.1:${port}: ECONNREFUSED`));
    assert.ok(!JSON.stringify(status).includes(PASSWORD));
  });
});

describe('the relay admits only the ffmpeg child', () => {
  let server: RtspRecordServer;

  before(async () => {
    server = await startRtspRecordServer({ auth: 'digest', credentials: `${USER}:${PASSWORD}`, path: PATH, file: join(dir, 'admitted.ts') });
  });

  after(async () => {
    await server?.stop();
  });

  test('a local connection that comes first is closed unread; ffmpeg then gets through; nobody after it', async () => {
    const relay = await RtspRelay.open(rtspTarget(server.url(`${USER}:${PASSWORD}`)));
    const port = Number(new URL(relay.url).port);
    // another local user racing ffmpeg to the port: it connects first, and asks before anything is admitted
    const intruder = await connected(port);
    const heard: Buffer[] = [];
    // closed with its request unread, it may see a reset
    intruder.on('error', () => undefined);
    intruder.on('data', (data: Buffer) => heard.push(data));
    intruder.write(`OPTIONS ${relay.url} RTSP/1.0\r\nCSeq: 1\r\n\r\n`);
    const intruderClosed = new Promise<void>((resolve) => intruder.once('close', () => resolve()));

    let frames = 0;
    const epochMs = pushEpoch(Date.now());
    const video = new CaptureTimedVideo(epochMs, WIDTH, HEIGHT);
    const push = new FfmpegPush('ffmpeg', pushArgs({ url: relay.url, encoder: { codec: 'h264', name: 'x264' }, fps: FPS, bitrateKbps: 300, keyframeSeconds: 1, epochMs }), {
      progress: (count) => (frames = count),
      drain: () => undefined,
      exit: () => undefined,
    });
    relay.admit(push.pid!);
    const stop = feedFrames((frame) => push.write(video.frame(frame.data, frame.ts, Date.now()).bytes), jpegs, { width: WIDTH, height: HEIGHT }, FPS);
    try {
      await intruderClosed;
      assert.equal(Buffer.concat(heard).length, 0, 'the intruder was answered');
      await waitFor('ffmpeg to push frames through the relay', () => frames >= 10, 30_000);
      assert.equal(relay.failure, undefined);
      assert.ok(relay.refused >= 1);
      // the relay stopped listening once ffmpeg was in
      await assert.rejects(connected(port), /ECONNREFUSED/);
    } finally {
      stop();
      await push.end();
      relay.close();
    }
    assert.ok((await stat(server.file)).size > 0, 'nothing reached the server');
  });
});

function connected(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}
