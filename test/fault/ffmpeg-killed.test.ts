/**
 * Fault 8: ffmpeg is killed (SIGKILL: the OOM killer, an operator) during an egress push or a clip encode. The push
 * says so in its state, with the signal, restarts, and a player reads the stream again; the clip encode is run again
 * from the frames it still has, and only when every try was killed does the clip fail, with a reason that says so.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { EgressStatus } from '@vigil/contracts';
import { ClipEncodeError, ClipEncoder, type ClipFrame } from '../../libs/alarms/src/clips';
import { requireExecutable, startRtmpServer, type RtmpServerHandle } from '../../scripts/support';
import { feedFrames, testJpegs, testPusher } from '../support/egress-feed';
import { reportFault } from '../support/fault-report';
import { descendantArgv } from '../support/process-tree';
import { sampleStream } from '../support/stream-sample';
import { waitFor } from '../support/wait';

const WIDTH = 320;
const HEIGHT = 180;
const FEED_FPS = 10;

let dir: string;
let jpegs: Buffer[];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-ffmpeg-killed-'));
  jpegs = await testJpegs(join(dir, 'frames'), WIDTH, HEIGHT);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ffmpeg killed during an egress push', { timeout: 120_000 }, () => {
  let server: RtmpServerHandle;

  before(async () => {
    server = await startRtmpServer();
  });

  after(async () => {
    await server?.stop();
  });

  test('the push goes to error naming the signal, then live again with a new ffmpeg, and a player reads the stream', async () => {
    const url = server.url('live/killed');
    const changes: EgressStatus[] = [];
    const pusher = testPusher({ url }, { events: { state: (status) => changes.push(status) } });
    let offered = 0;
    const stop = feedFrames((frame) => (offered++, pusher.offer(frame)), jpegs, { width: WIDTH, height: HEIGHT }, FEED_FPS);
    try {
      await waitFor('the push to be live', () => pusher.status().state === 'live', 20_000);
      await sampleStream(url, 1);
      const pid = pusher.pid!;
      assert.ok(pid > 0 && descendantArgv(process.pid).some((child) => child.pid === pid && child.argv[0] === 'ffmpeg'), 'the pusher names its ffmpeg');
      const before = { offered, pushed: pusher.status().pushed, changes: changes.length };
      process.kill(pid, 'SIGKILL');
      const killedAt = Date.now();

      const failed = await waitFor('the push to report the kill', () => changes.slice(before.changes).find((status) => status.state === 'error'), 20_000);
      assert.match(failed.reason ?? '', /^ffmpeg ended by SIGKILL/, 'the reason names the signal');
      await waitFor('the push to be live again', () => pusher.status().state === 'live' && changes.length > before.changes, 30_000);
      const recoveryMs = Date.now() - killedAt;
      const after = { offered, pushed: pusher.status().pushed };
      assert.notEqual(pusher.pid, pid, 'a new ffmpeg pushes');
      // honest all the way: error (the kill), connecting (a new ffmpeg), live (it sends); a server slow to let go of
      // the old publisher may add a round of error and connecting
      const states = changes.slice(before.changes).map((status) => status.state);
      assert.equal(states[0], 'error', `states after the kill: ${states.join(', ')}`);
      assert.deepEqual(states.slice(-2), ['connecting', 'live'], `states after the kill: ${states.join(', ')}`);
      assert.ok(!states.includes('waiting'), 'frames kept coming: the push never waited');
      assert.ok(pusher.status().reconnects >= 1);

      const sample = await sampleStream(url, 1);
      assert.equal(sample.codec, 'h264');
      assert.ok(sample.frames > 0, 'the stream plays again');
      // frames offered while no ffmpeg ran are not kept (frames are disposable); those inside the killed ffmpeg are not counted
      const lost = after.offered - before.offered - (after.pushed - before.pushed);
      reportFault({ fault: 'ffmpeg killed during an egress push', recoveryMs, lost: { frames: Math.max(0, lost) }, note: 'SIGKILL to the push ffmpeg; live again = ffmpeg sending to the RTMP server' });
    } finally {
      stop();
      await pusher.close();
    }
  });
});

describe('ffmpeg killed during a clip encode', { timeout: 180_000 }, () => {
  let encoder: ClipEncoder;
  let work: string;
  let out: string;
  /** 4 s of frames: the stand-in below reads them at their own pace, so the encode lasts long enough to be killed */
  const frames = (): ClipFrame[] => Array.from({ length: 40 }, (_, i) => ({ seq: i, ts: 1_700_000_000_000 + i * 100, width: WIDTH, height: HEIGHT, data: jpegs[i % jpegs.length]! }));

  before(async () => {
    work = await mkdtemp(join(dir, 'work-'));
    out = await mkdtemp(join(dir, 'out-'));
    // the real ffmpeg, told to read a clip's pictures at their capture pace (-readrate 1) so that a kill lands mid-encode;
    // the test encodes at start (no concat input) run as they are
    const ffmpeg = requireExecutable('ffmpeg', 'Install ffmpeg (apt-get install ffmpeg).');
    const paced = join(dir, 'ffmpeg-paced');
    await writeFile(paced, `#!/bin/sh\ncase "$*" in *ffconcat*) exec '${ffmpeg}' -readrate 1 "$@";; esac\nexec '${ffmpeg}' "$@"\n`);
    await chmod(paced, 0o755);
    encoder = await ClipEncoder.create({ preference: 'x264', ffmpeg: paced, tmpDir: work, threads: 1, tries: 2 });
  });

  /** The clip's ffmpeg once it runs (its argv names the ffconcat list), other than those already seen. */
  async function encodeProcess(seen: Set<number>): Promise<number> {
    return waitFor(
      'the encode ffmpeg to run',
      () => descendantArgv(process.pid).find(({ pid, argv }) => !seen.has(pid) && argv[0]?.endsWith('ffmpeg') && argv.some((arg) => arg.endsWith('list.ffconcat')))?.pid,
      30_000,
      20,
    );
  }

  test('one kill: the encode is run again and the clip is complete', async () => {
    const path = join(out, 'retried.mp4');
    const encoding = encoder.encode({ id: 'retried', camera: 'gate', frames: frames(), path });
    const pid = await encodeProcess(new Set());
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    const clip = await encoding;
    const recoveryMs = Date.now() - killedAt;
    assert.equal(clip.frames, 40);
    const sample = await sampleStream(path, 10);
    assert.equal(sample.codec, 'h264');
    assert.ok(sample.frames >= 40, `the clip holds ${sample.frames} pictures`);
    assert.deepEqual(await readdir(work), [], 'no pictures left behind');
    reportFault({ fault: 'ffmpeg killed during a clip encode', recoveryMs, lost: { alarms: 0 }, note: 'SIGKILL to the clip ffmpeg; recovered = the retried encode wrote the whole clip' });
  });

  test('every try killed: the clip fails with a reason that names the kill and the tries, and leaves no file', async () => {
    const path = join(out, 'failed.mp4');
    const encoding = encoder.encode({ id: 'failed', camera: 'gate', frames: frames(), path });
    const seen = new Set<number>();
    for (let i = 0; i < 2; i += 1) {
      const pid = await encodeProcess(seen);
      seen.add(pid);
      process.kill(pid, 'SIGKILL');
    }
    await assert.rejects(encoding, (error: Error) => {
      assert.ok(error instanceof ClipEncodeError);
      assert.match(error.message, /^clip failed \(camera gate\): ffmpeg \(x264, 40 frames, 2 tries\) failed, ended by SIGKILL/);
      return true;
    });
    assert.deepEqual(await readdir(out).then((names) => names.filter((name) => name.startsWith('failed'))), [], 'no clip and no partial file');
  });
});
