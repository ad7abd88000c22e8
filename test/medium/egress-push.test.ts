/**
 * The egress pusher against real servers: real JPEG frames in, ffmpeg (x264) encoding and pushing to node-media-server
 * over RTMP and to an ffmpeg RTSP listener, read back and decoded with ffprobe; the server going away and coming back
 * on the same port; a server that is not there; a file camera's audio looped into the push.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cameraEgressSchema, type CameraEgressInput } from '@vigil/contracts';
import type { Pusher } from '../../apps/egress/src/push/pusher';
import { freePort, startRtmpServer, type RtmpServerHandle } from '../../scripts/support';
import { feedFrames, testJpegs, testPusher } from '../support/egress-feed';
import { generateSyncClip, measureSync } from '../support/av-sync';
import { descendantArgv } from '../support/process-tree';
import { listenRtsp, sampleStream } from '../support/stream-sample';
import { waitFor } from '../support/wait';

// odd on purpose: yuv420p needs even sizes, so the push must round them (ffmpeg refuses to encode 321x181 otherwise)
const WIDTH = 321;
const HEIGHT = 181;
const FEED_FPS = 10;

let dir: string;
let jpegs: Buffer[];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-egress-'));
  jpegs = await testJpegs(join(dir, 'frames'), WIDTH, HEIGHT);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Sends frames to the pusher as a camera would, FEED_FPS a second; returns the stop. */
function feed(pusher: Pusher): () => void {
  return feedFrames((frame) => pusher.offer(frame), jpegs, { width: WIDTH, height: HEIGHT }, FEED_FPS);
}

function pusherFor(egress: CameraEgressInput, options: Parameters<typeof testPusher>[1] = {}): Pusher {
  return testPusher(egress, options);
}

describe('egress push over RTMP (node-media-server)', () => {
  let server: RtmpServerHandle;

  before(async () => {
    server = await startRtmpServer();
  });

  after(async () => {
    await server?.stop();
  });

  test('a player reads back H.264 yuv420p at the frames size (rounded to even) and the configured frame rate', async () => {
    const pusher = pusherFor({ url: server.url('live/cam'), fps: 15, bitrate: 500 });
    const stop = feed(pusher);
    try {
      await waitFor('the push to be live', () => pusher.status().state === 'live', 20_000);
      const sample = await sampleStream(server.url('live/cam'), 2);
      assert.equal(sample.codec, 'h264');
      assert.equal(sample.pixFmt, 'yuv420p');
      assert.deepEqual([sample.width, sample.height], [WIDTH - 1, HEIGHT - 1]);
      assert.ok(sample.frames >= 10, `decoded only ${sample.frames} frames`);
      // constant 15 fps out of 10 fps in: frames are repeated to hold the configured rate (timestamps, not timing)
      assert.ok(Math.abs(sample.fps - 15) < 1.5, `frame rate ${sample.fps}, expected about 15`);
      assert.ok(pusher.status().pushed > 0);
      assert.equal(pusher.status().reconnects, 0);
    } finally {
      stop();
      await pusher.close();
    }
  });

  test("the stream key is in no process's argv (readable by every user), yet the server gets the push under it", async () => {
    const url = server.url('live/s3cret-k3y');
    const pusher = pusherFor({ url });
    const stop = feed(pusher);
    try {
      await waitFor('the push to be live', () => pusher.status().state === 'live', 20_000);
      const processes = descendantArgv(process.pid);
      assert.ok(processes.some(({ argv }) => argv[0] === 'ffmpeg'), `ffmpeg runs: ${JSON.stringify(processes)}`);
      for (const { pid, argv } of processes) {
        for (const secret of ['s3cret-k3y', url, '/live']) assert.ok(!argv.some((arg) => arg.includes(secret)), `pid ${pid} shows ${secret}: ${argv.join(' ')}`);
      }
      const sample = await sampleStream(url, 1);
      assert.equal(sample.codec, 'h264');
      assert.ok(sample.frames > 0);
    } finally {
      stop();
      await pusher.close();
    }
  });

  test('frames that stop leave the push waiting without ffmpeg restarts; frames that come back make it live again', async () => {
    const pusher = pusherFor({ url: server.url('live/idle') }, { idleMs: 800 });
    let stop = feed(pusher);
    try {
      await waitFor('the push to be live', () => pusher.status().state === 'live', 20_000);
      stop();
      await waitFor('the push to wait for frames', () => pusher.status().state === 'waiting', 10_000);
      // bug guarded: an offline camera spinning ffmpeg restarts (and counting them) with nothing to send
      assert.equal(pusher.status().reconnects, 0);
      stop = feed(pusher);
      await waitFor('the push to be live again', () => pusher.status().state === 'live', 20_000);
      assert.equal(pusher.status().reconnects, 0);
    } finally {
      stop();
      await pusher.close();
    }
  });

  test('a target the network policy refuses at start (its name now resolves to a blocked address): no ffmpeg, retried', async () => {
    let answer: string | undefined = 'host "push.example" resolves to 169.254.169.254 is in 169.254.0.0/16';
    const asked: string[] = [];
    const pusher = pusherFor({ url: server.url('live/k3y9') }, { admit: async (url) => (asked.push(url), answer) });
    const stop = feed(pusher);
    try {
      await waitFor('the refusal', () => pusher.status().reason?.startsWith('refused by the network policy: host "push.example" resolves to 169.254.169.254'), 20_000);
      assert.equal(pusher.status().state, 'error');
      assert.deepEqual(descendantArgv(process.pid).filter(({ argv }) => argv.some((arg) => arg.includes('ffmpeg'))), [], 'no ffmpeg ran');
      await waitFor('asked again after the backoff', () => asked.length >= 2, 10_000);
      answer = undefined;
      await waitFor('live once the name points elsewhere', () => pusher.status().state === 'live', 20_000);
    } finally {
      stop();
      await pusher.close();
    }
  });

  test("the file's sound is carried as AAC and looped: a 2 s file beeps on through several seconds of push", async () => {
    const clip = join(dir, 'beeps.mp4');
    await generateSyncClip(clip, { width: 160, height: 90, fps: 10, seconds: 2 });
    const pusher = pusherFor({ url: server.url('live/file') }, { audio: async () => ({ input: { kind: 'file', path: clip }, codec: 'aac', synced: false }) });
    const stop = feed(pusher);
    try {
      await waitFor('the push to be live', () => pusher.status().state === 'live', 20_000);
      assert.deepEqual(pusher.status().audio, { carried: true, codec: 'aac', synced: false });
      // the file beeps at 0 s and 1 s: four beeps or more in 6 s of push only if it loops
      const { beeps } = await measureSync(server.url('live/file'), 6);
      assert.ok(beeps.length >= 4, `beeps at ${beeps.join(', ')}`);
    } finally {
      stop();
      await pusher.close();
    }
  });
});

describe('egress push: the server goes away', () => {
  test('an RTMP server stopped and started again on the same port: the push is in error, then live again, one reconnect or more', async () => {
    let server = await startRtmpServer();
    const port = server.port;
    const pusher = pusherFor({ url: server.url('live/back') });
    const stop = feed(pusher);
    try {
      await waitFor('the push to be live', () => pusher.status().state === 'live', 20_000);
      await server.stop();
      await waitFor('the push to notice', () => pusher.status().state === 'error', 20_000);
      assert.match(pusher.status().reason ?? '', /^ffmpeg /);
      server = await startRtmpServer({ port });
      await waitFor('the push to be live again', () => pusher.status().state === 'live', 30_000);
      assert.ok(pusher.status().reconnects >= 1);
      const sample = await sampleStream(server.url('live/back'), 1);
      assert.equal(sample.codec, 'h264');
      assert.ok(sample.frames > 0);
    } finally {
      stop();
      await pusher.close();
      await server.stop();
    }
  });

  test('nothing listens at the URL: an error with a reason, retried with backoff, never a crash; no frames, no retries', async () => {
    const url = `rtmp://127.0.0.1:${await freePort()}/live/none`;
    const pusher = pusherFor({ url }, { idleMs: 1000 });
    const stop = feed(pusher);
    try {
      await waitFor('an error state', () => pusher.status().state === 'error', 20_000);
      const status = pusher.status();
      assert.match(status.reason ?? '', /Connection refused|Cannot open connection|error/i);
      await waitFor('a retry', () => pusher.status().reconnects >= 1, 10_000);
      stop();
      await waitFor('the push to wait for frames', () => pusher.status().state === 'waiting', 10_000);
      const reconnects = pusher.status().reconnects;
      // several backoff periods without frames: bug guarded is a camera offline making ffmpeg restart forever
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(pusher.status().reconnects, reconnects);
      assert.equal(pusher.status().state, 'waiting');
    } finally {
      stop();
      await pusher.close();
    }
  });
});

describe('egress push over RTSP (ffmpeg listening for RECORD)', () => {
  test('the received stream is H.264 at the frames size and, with no fps set, the rate frames came at', async () => {
    const file = join(dir, 'received.ts');
    const listener = listenRtsp(await freePort(), file);
    const pusher = pusherFor({ url: listener.url });
    const stop = feed(pusher);
    try {
      await waitFor('the push to be live', () => pusher.status().state === 'live', 20_000);
      await waitFor('a few seconds received', async () => pusher.status().pushed >= 25 && (await stat(file)).size > 0, 20_000);
      stop();
      await pusher.close();
      // the listener ends once the publisher tears down
      await waitFor('the RTSP listener to finish', () => !listener.child.running, 10_000);
      const sample = await sampleStream(file, 30);
      assert.equal(sample.codec, 'h264');
      assert.deepEqual([sample.width, sample.height], [WIDTH - 1, HEIGHT - 1]);
      assert.ok(sample.frames >= 15, `only ${sample.frames} frames`);
      assert.ok(Math.abs(sample.fps - FEED_FPS) < 1.5, `frame rate ${sample.fps}, expected about ${FEED_FPS}`);
    } finally {
      stop();
      await pusher.close();
      await listener.stop();
    }
  });
});

describe('egress push in H.265', () => {
  test('over RTSP (ffmpeg listening for RECORD): the received stream is HEVC at the frames size, read back by ffprobe', async () => {
    const file = join(dir, 'received-hevc.ts');
    const listener = listenRtsp(await freePort(), file);
    const pusher = pusherFor({ url: listener.url, codec: 'h265', bitrate: 400 });
    const stop = feed(pusher);
    try {
      await waitFor('the push to be live', () => pusher.status().state === 'live', 20_000);
      assert.deepEqual([pusher.status().codec, pusher.status().encoder], ['h265', 'x265']);
      await waitFor('a few seconds received', async () => pusher.status().pushed >= 20 && (await stat(file)).size > 0, 20_000);
      stop();
      await pusher.close();
      await waitFor('the RTSP listener to finish', () => !listener.child.running, 10_000);
      const sample = await sampleStream(file, 30);
      assert.equal(sample.codec, 'hevc');
      assert.equal(sample.pixFmt, 'yuv420p');
      assert.deepEqual([sample.width, sample.height], [WIDTH - 1, HEIGHT - 1]);
      assert.ok(sample.frames >= 10, `only ${sample.frames} frames`);
    } finally {
      stop();
      await pusher.close();
      await listener.stop();
    }
  });

  // the schema refuses this; a record written straight into Redis (or by an older vigil) has passed no schema
  test('to an RTMP url (a record no schema checked): state error with the reason, and no ffmpeg is started', async () => {
    const server = await startRtmpServer();
    const config = { ...cameraEgressSchema.parse({ url: 'rtsp://127.0.0.1:9/x', codec: 'h265' }), url: server.url('live/hevc') };
    const pusher = pusherFor({ url: config.url }, { config });
    const stop = feed(pusher);
    try {
      await waitFor('the refusal', () => pusher.status().state === 'error', 20_000);
      assert.match(pusher.status().reason ?? '', /^H\.265 cannot be pushed over RTMP: ffmpeg 5\.1 \(Debian 12\).*enhanced RTMP \(FFmpeg 6\.1 or newer\).*over RTSP/);
      // a few more frames and the retry period pass: still nothing runs, and nothing retries
      const before = pusher.status().since;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.deepEqual(descendantArgv(process.pid).filter(({ argv }) => argv.some((arg) => arg.includes('ffmpeg'))), [], 'no ffmpeg ran');
      assert.equal(pusher.status().reconnects, 0);
      assert.equal(pusher.status().since, before);
    } finally {
      stop();
      await pusher.close();
      await server.stop();
    }
  });
});
