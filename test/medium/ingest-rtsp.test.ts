/**
 * Ingest against real servers: a real RTSP server (gst-rtsp-server), a real redis-server, the
 * ingest app as its own process. Frames of the right size reach Redis; a server restart is
 * survived; a bad URL is an error state while the other cameras keep streaming.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { keys, type CameraStatus } from '@vigil/contracts';
import { freePort, startRedisServer, startRtspServer, startVigil, testPatternLaunch, type RedisServerHandle, type RtspServerHandle, type VigilHandle } from '../../scripts/support';
import { FrameTap } from '../support/frame-tap';
import { waitFor } from '../support/wait';
import { stage, unquote } from '../support/gst-launch';
import { capturePids as capturesBelow } from '../support/process-tree';

const MOUNTS = {
  '/h264': testPatternLaunch({ width: 640, height: 360, fps: 15, codec: 'h264' }),
  '/h265': testPatternLaunch({ width: 480, height: 270, fps: 15, codec: 'h265' }),
};

describe('ingest against a real RTSP server and redis-server', { timeout: 120_000 }, () => {
  let redis: RedisServerHandle;
  let rtsp: RtspServerHandle;
  let rtspPort: number;
  let ingest: VigilHandle;
  const capturePids = (): number[] => capturesBelow(ingest.child.process.pid!);
  let registry: Redis;
  const taps: FrameTap[] = [];

  const status = async (id: string): Promise<CameraStatus | undefined> => {
    const json = await registry.hget(keys.cameraStatus, id);
    return json ? (JSON.parse(json) as CameraStatus) : undefined;
  };
  const tap = async (camera: string): Promise<FrameTap> => {
    const opened = await FrameTap.open(redis.url, camera);
    taps.push(opened);
    return opened;
  };

  before(async () => {
    redis = await startRedisServer();
    rtspPort = await freePort();
    rtsp = await startRtspServer({ port: rtspPort, mounts: MOUNTS });
    registry = new Redis(redis.url);
    const closedPort = await freePort();
    ingest = await startVigil({
      app: 'ingest',
      redisUrl: redis.url,
      env: { WATCHDOG_SECONDS: '3', RECONNECT_MIN_MS: '200', RECONNECT_MAX_MS: '1000' },
      cameras: [
        { id: 'cam264', url: `rtsp://viewer:s3cret-pass@127.0.0.1:${rtspPort}/h264` },
        { id: 'cam265', url: rtsp.url('/h265') },
        { id: 'nowhere', url: `rtsp://127.0.0.1:${closedPort}/missing`, codec: 'h264' },
        { id: 'badhost', url: 'rtsp://camera.invalid/stream', codec: 'h264' },
      ],
    });
  });

  after(async () => {
    for (const t of taps) await t.close();
    await registry?.quit();
    await ingest?.stop();
    await rtsp?.stop();
    await redis?.stop();
  });

  test('publishes H.264 frames of the stream size as JPEG envelopes', async () => {
    const frames = await (await tap('cam264')).next(5);
    for (const frame of frames) {
      assert.equal(frame.camera, 'cam264');
      assert.equal(frame.stream, 'raw');
      assert.equal(frame.format, 'jpeg');
      assert.deepEqual([frame.width, frame.height], [640, 360]);
      assert.deepEqual([...frame.data.subarray(0, 2)], [0xff, 0xd8], 'payload is a JPEG');
    }
    const seqs = frames.map((frame) => frame.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'seq rises');
    assert.ok(frames[4]!.ts >= frames[0]!.ts);
  });

  test('probes and decodes H.265 (codec: auto)', async () => {
    const [frame] = await (await tap('cam265')).next(1);
    assert.deepEqual([frame!.width, frame!.height], [480, 270]);
    const cam = await waitFor('cam265 live', async () => ((await status('cam265'))?.state === 'live' ? status('cam265') : undefined));
    assert.match(cam.decoder ?? '', /h265/);
  });

  test('a refused port and an unresolvable host are error states with reasons, never a crash', async () => {
    const nowhere = await waitFor('nowhere in error', async () => ((await status('nowhere'))?.state === 'error' ? status('nowhere') : undefined));
    assert.ok(nowhere.reason && nowhere.reason.length > 0, 'has a reason');
    const badhost = await waitFor('badhost in error', async () => ((await status('badhost'))?.state === 'error' ? status('badhost') : undefined));
    assert.ok(badhost.reason);
    assert.ok(ingest.child.running, 'ingest still runs');
    // and the healthy camera keeps streaming meanwhile
    await (await tap('cam264')).next(5);
  });

  test('credentials in the camera URL never reach the status or the log', async () => {
    const cam = await waitFor('cam264 status', () => status('cam264'));
    assert.equal(unquote(stage(cam.pipeline!, 'rtspsrc').props['user-pw']!), '***');
    assert.ok(!JSON.stringify(cam).includes('s3cret-pass'));
    assert.ok(!ingest.child.lastLines().some((line) => line.text.includes('s3cret-pass')), 'log is clean');
  });

  test("no capture process's argv, which every user can read, holds a camera URL, its credentials or the Redis URL", () => {
    const pids = capturePids();
    assert.ok(pids.length >= 1, 'capture processes run');
    for (const pid of pids) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      assert.match(argv.join(' '), /capture-process\.js --host \d+ $/, 'the process number alone');
      for (const secret of ['s3cret-pass', 'rtsp://', redis.url, String(rtspPort)]) assert.ok(!argv.some((arg) => arg.includes(secret)), `pid ${pid}: ${secret} in ${argv.join(' ')}`);
    }
  });

  test('frames resume after the RTSP server is stopped and started again', async () => {
    const frames = await tap('cam264');
    const before = (await frames.next(1))[0]!;
    await rtsp.stop();
    await waitFor('cam264 not live', async () => (await status('cam264'))?.state !== 'live', 20_000);
    const down = await status('cam264');
    assert.ok(down && ['error', 'offline', 'stalled', 'connecting'].includes(down.state));
    rtsp = await startRtspServer({ port: rtspPort, mounts: MOUNTS });
    const [resumed] = await frames.next(1, 30_000);
    assert.ok(resumed!.seq > before.seq, 'seq keeps rising across the reconnect');
    await waitFor('cam264 live again', async () => (await status('cam264'))?.state === 'live');
    assert.ok(((await status('cam264'))?.reconnects ?? 0) >= 1);
  });

  // the bug: a capture process killed (by the watchdog, or the OOM killer) before it reported its counters left the
  // supervisor behind, and the restarted process published seq numbers again that clip capture keys frames by
  test('a capture process killed right after a frame is restarted with seq numbers never used before', async () => {
    const frames = await tap('cam265');
    await frames.next(1);
    // cam265 shares its process with the other cameras: killing every capture process kills its capture
    for (const pid of capturePids()) process.kill(pid, 'SIGKILL');
    const killedAt = frames.received;
    await frames.next(10, 30_000);
    const seqs = frames.frames.slice(-(frames.received - killedAt + 1)).map((frame) => frame.seq);
    assert.ok(seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!), `seq rises across the restart: ${seqs.join(', ')}`);
    assert.ok(((await status('cam265'))?.reconnects ?? 0) >= 1, 'it was a restart');
  });

  test('serves health and Prometheus metrics with per-camera counters', async () => {
    const health = await fetch(`${ingest.url}/healthz`);
    assert.equal(health.status, 200);
    const metrics = await (await fetch(`${ingest.url}/metrics`)).text();
    assert.match(metrics, /vigil_ingest_frames_total\{camera="cam264"\} [1-9]/);
    assert.match(metrics, /vigil_ingest_reconnects_total\{camera="nowhere"\} [1-9]/);
    assert.match(metrics, /vigil_ingest_camera_state\{camera="cam264",state="live"\} 1/);
    assert.match(metrics, /nodejs_eventloop_lag_p99_seconds/);
  });
});
