/**
 * Cameras share a capture process (CAMERAS_PER_CAPTURE_PROCESS): one camera's bad stream must not stop the others.
 * Poisoned streams run in the same process as healthy ones, with real GStreamer, Redis and HTTP:
 *  - an MJPEG camera sending random bytes as JPEG (the decoder makes no frame of them: a stall, or its error),
 *  - an MJPEG camera that stalls with its connection held open (no frame: the read is given up on and the camera
 *    moves to a process of its own),
 *  - a file camera whose "video" is random bytes (it never makes a frame: its read is given up on too),
 * and then the process itself crashes (SIGSEGV, as a fault in native code would).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { keys, type CameraStatus } from '@vigil/contracts';
import { generateClip, generateImageSequence, startRedisServer, startVigil, waitForLine, type RedisServerHandle, type VigilHandle } from '../../scripts/support';
import { metric } from '../support/api';
import { FrameTap } from '../support/frame-tap';
import { startMjpegServer, type MjpegServer } from '../support/mjpeg-server';
import { capturePids } from '../support/process-tree';
import { waitFor } from '../support/wait';

const HEALTHY = ['pattern', 'clip', 'mjpeg-good'] as const;
/** each poisoned camera and the reason it fails with; a stalled read is given up on and the camera kept apart */
const POISONED = { garbage: /jpegdec: |watchdog: |no frame/, stall: /watchdog: |no frame for/, 'bad-file': /typefind: |no frame within/ } as const;

/** The process that started first (field 22 of /proc/<pid>/stat: its start time). */
function oldest(pids: number[]): number {
  const started = (pid: number): number => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19]);
  assert.ok(pids.length > 0, 'capture processes run');
  return pids.reduce((a, b) => (started(b) < started(a) ? b : a));
}

describe('capture isolation: poisoned streams beside healthy ones in one capture process', { timeout: 180_000 }, () => {
  let redis: RedisServerHandle;
  let vigil: VigilHandle;
  let mjpeg: MjpegServer;
  let probe: Redis;
  const taps = new Map<string, FrameTap>();
  /** the process all cameras started in */
  let sharedHost: number | undefined;

  const status = async (id: string): Promise<CameraStatus | undefined> => {
    const raw = await probe.hget(keys.cameraStatus, id);
    return raw ? (JSON.parse(raw) as CameraStatus) : undefined;
  };
  const captures = (): number[] => capturePids(vigil.child.process.pid!);
  const starts = async (camera: string): Promise<number> => (await metric(vigil.url, 'vigil_ingest_capture_starts_total', { camera })) ?? 0;
  /** the largest step between consecutive seq numbers a camera published since `from` */
  const largestGap = (camera: string, from: number): number => {
    const seqs = taps.get(camera)!.frames.filter((frame) => frame.seq >= from).map((frame) => frame.seq);
    assert.ok(seqs.length > 20, `${camera}: frames kept coming (${seqs.length})`);
    return Math.max(...seqs.slice(1).map((seq, i) => seq - seqs[i]!));
  };

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-isolation-'));
    const [clip, sequence] = await Promise.all([
      generateClip({ path: join(dir, 'clip.mp4'), width: 320, height: 240, fps: 10, seconds: 2, codec: 'h264' }),
      generateImageSequence({ dir: join(dir, 'frames'), width: 320, height: 240, count: 5 }),
    ]);
    const badFile = join(dir, 'bad.mp4');
    writeFileSync(badFile, randomBytes(256 * 1024));
    mjpeg = await startMjpegServer(readdirSync(dirname(sequence)).sort().map((name) => readFileSync(join(dirname(sequence), name))));
    redis = await startRedisServer();
    probe = new Redis(redis.url);
    vigil = await startVigil({
      app: 'ingest',
      redisUrl: redis.url,
      env: { MEDIA_ROOTS: dir, CAMERAS_PER_CAPTURE_PROCESS: '8', WATCHDOG_SECONDS: '3', RECONNECT_MIN_MS: '500', RECONNECT_MAX_MS: '2000' },
      cameras: [
        { id: 'pattern', url: 'test://ball', width: 320, height: 240, fps: 10 },
        { id: 'clip', url: clip, codec: 'h264' },
        { id: 'mjpeg-good', url: mjpeg.url('good') },
        { id: 'garbage', url: mjpeg.url('garbage') },
        { id: 'stall', url: mjpeg.url('stall') },
        { id: 'bad-file', url: badFile, codec: 'h264' },
      ],
    });
    for (const camera of HEALTHY) taps.set(camera, await FrameTap.open(redis.url, camera));
  });

  after(async () => {
    for (const tap of taps.values()) await tap.close();
    await probe?.quit();
    await vigil?.stop();
    await redis?.stop();
    mjpeg?.close();
  });

  test('every camera runs in one capture process; each poisoned one fails with its own reason, the healthy ones never stop', async () => {
    for (const camera of HEALTHY) await waitFor(`${camera} live`, async () => (await status(camera))?.state === 'live', 30_000);
    // the first process holds every camera; any other is one a poisoned camera was moved to (checked below)
    const host = oldest(captures());
    const moved = (): number => vigil.child.lastLines().filter((line) => /runs in a capture process of its own/.test(line.text)).length;
    assert.ok(captures().length - 1 <= moved(), `one capture process for all six cameras: ${captures().join(', ')}`);
    sharedHost = host;
    const from = new Map(HEALTHY.map((camera) => [camera, taps.get(camera)!.frames.at(-1)!.seq]));

    // each poisoned camera fails, is retried and fails again, all while the healthy ones go on
    for (const [camera, reason] of Object.entries(POISONED)) {
      await waitFor(`${camera} retried twice`, async () => (await starts(camera)) >= 3, 60_000);
      // between tries it is `connecting` with no reason: the failure is logged with it
      await waitForLine(vigil.child, new RegExp(`camera ${camera}: (error|stalled) \\((${reason.source})`, 'i'), 30_000);
      assert.notEqual((await status(camera))?.state, 'live', `${camera}: not live`);
    }

    assert.ok(captures().includes(host), `the healthy cameras' process is still the same: ${host} in ${captures().join(',')}`);
    // a stalled read never returns: those cameras went to processes of their own, the healthy ones stayed
    for (const camera of ['garbage', 'stall', 'bad-file']) await waitForLine(vigil.child, new RegExp(`camera ${camera}: runs in a capture process of its own for a while: its read did not return`), 1000);
    assert.ok(!vigil.child.lastLines().some((line) => /camera (pattern|clip|mjpeg-good): runs in a capture process of its own/.test(line.text)), 'no healthy camera was moved');
    for (const camera of HEALTHY) {
      const shown = await status(camera);
      assert.equal(shown?.state, 'live', `${camera}: live`);
      assert.equal(shown?.reconnects, 0, `${camera}: never restarted`);
      assert.equal(await starts(camera), 1, `${camera}: started once`);
      assert.equal(shown?.reason, undefined, `${camera}: no reason borrowed from a poisoned neighbour`);
      assert.ok(largestGap(camera, from.get(camera)!) <= 2, `${camera}: no frames lost beyond a drop`);
    }
  });

  test('a crash of the shared process: every camera is back, each in a process of its own, seq still rising', async () => {
    const host = sharedHost;
    assert.ok(host !== undefined && captures().includes(host), 'the shared process from the test before');
    const before = new Map(HEALTHY.map((camera) => [camera, taps.get(camera)!.frames.at(-1)!.seq]));
    process.kill(host, 'SIGSEGV');
    await waitForLine(vigil.child, /camera pattern: runs in a capture process of its own for a while: its capture process died/, 15_000);
    for (const camera of HEALTHY) {
      await waitFor(`${camera} live again`, async () => {
        const shown = await status(camera);
        return shown?.state === 'live' && (shown.reconnects ?? 0) >= 1;
      }, 30_000);
      const [next] = await taps.get(camera)!.next(1, 15_000);
      assert.ok(next!.seq > before.get(camera)!, `${camera}: seq rises across the crash`);
    }
    const pids = captures();
    assert.ok(!pids.includes(host), 'the crashed process is gone');
    assert.ok(pids.length >= HEALTHY.length, `the suspects are kept apart: ${pids.length} capture processes`);
    assert.equal(await metric(vigil.url, 'vigil_ingest_capture_processes'), pids.length, 'the gauge counts them');
  });
});
