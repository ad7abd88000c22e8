/**
 * Audio in re-streams, end to end: a camera with sound (a real RTSP server serving a clip that flashes and beeps at
 * the same instants, H.264 + AAC) goes through the whole vigil (ingest, the bus, inference drawing its boxes,
 * egress) and out to a real RTMP server and a real RTSP receiver; ffmpeg decodes what they got, and each flash is
 * paired with its beep. The bug guarded: the pushed picture stamped on its arrival at egress, so the sound ran ahead
 * of it by the whole pipeline's delay (the users' own scripts went out of sync exactly there).
 * Also: `audio: false` pushes no audio; a camera without sound is pushed video only and its status says why; the
 * camera's credentials are in no process's argv although ffmpeg opens the camera itself for its sound.
 *
 * vigil reaches Redis through a proxy that delivers the camera's frames BUS_DELAY_MS late to whoever subscribed
 * (inference, and egress to the annotated frames), so every frame reaches egress at least that long after its
 * capture: a push that stamped frames on arrival would be that far out of sync.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { maskUrl, type CameraInput, type EgressStatus } from '@vigil/contracts';
import {
  freePort,
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
import { getJson, sendJson } from '../support/api';
import { generateSyncClip, measureSync, syncClipLaunch, type SyncMeasure } from '../support/av-sync';
import { DelayProxy } from '../support/delay-proxy';
import { processArgv } from '../support/process-tree';
import { listenRtsp } from '../support/stream-sample';
import { waitFor } from '../support/wait';

const CLIP = { width: 320, height: 180, fps: 25, seconds: 90 };
/** seconds of the pushed stream decoded for one measure: several flashes and beeps */
const MEASURE_S = 8;
/** the bound on the audio/video offset a viewer gets */
const MAX_OFFSET_MS = 100;
const PASSWORD = 's3cretpw';
/** the pipeline's delay, made certain: several times the bound, so stamping on arrival could not pass */
const BUS_DELAY_MS = 300;

/** The kinds of stream (video, audio) ffprobe finds in a stream or a file. */
function streamTypes(input: string): Promise<string[]> {
  const args = ['-v', 'error', '-analyzeduration', '2000000', '-show_entries', 'stream=codec_type,codec_name', '-of', 'json', input];
  return new Promise((resolve, reject) => {
    execFile('ffprobe', args, { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`ffprobe ${input}: ${error.message} ${stderr}`));
      else resolve(((JSON.parse(stdout) as { streams?: { codec_type: string; codec_name: string }[] }).streams ?? []).map((s) => `${s.codec_type}:${s.codec_name}`).sort());
    });
  });
}

function report(what: string, measure: SyncMeasure): void {
  const values = measure.offsetsMs;
  const mean = values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
  const worst = values.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
  console.log(`# ${what}: ${values.length} flash/beep pairs, audio minus video offsets (ms) [${values.join(', ')}], mean ${mean.toFixed(1)}, worst |${worst}|`);
}

function assertInSync(what: string, measure: SyncMeasure): void {
  report(what, measure);
  assert.ok(measure.offsetsMs.length >= 4, `${what}: only ${measure.offsetsMs.length} pairs (flashes ${measure.flashes.join(' ')}; beeps ${measure.beeps.join(' ')})`);
  for (const offset of measure.offsetsMs) assert.ok(Math.abs(offset) < MAX_OFFSET_MS, `${what}: offset ${offset} ms (all: ${measure.offsetsMs.join(', ')})`);
}

describe('egress carries the camera audio, lined up with the picture by capture time', { timeout: 240_000 }, () => {
  let dir: string;
  let redis: RedisServerHandle;
  let bus: DelayProxy;
  let rtsp: RtspServerHandle;
  let rtmp: RtmpServerHandle;
  let vigil: VigilHandle;
  let avUrl: string;
  let av: Omit<CameraInput, 'id'>;

  const egressOf = async (camera: string): Promise<EgressStatus | undefined> =>
    (await getJson<EgressStatus[]>(`${vigil.url}/api/egress`)).body.find((status) => status.camera === camera);
  /** the push of `camera` live to `url` */
  const liveTo = (camera: string, url: string) =>
    waitFor(`the ${camera} push to ${maskUrl(url)} to be live`, async () => {
      const status = await egressOf(camera);
      return status?.state === 'live' && status.url === maskUrl(url) ? status : undefined;
    }, 60_000);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-av-'));
    const clip = join(dir, 'flash-beep.mp4');
    await generateSyncClip(clip, CLIP);
    redis = await startRedisServer();
    // the frame subscriptions of the camera with sound (libs/redis frame-subscriber.ts names them)
    bus = await DelayProxy.start(redis.port, BUS_DELAY_MS, 'vigil:bus:av');
    rtmp = await startRtmpServer();
    rtsp = await startRtspServer({
      mounts: {
        '/av': syncClipLaunch(clip),
        '/mute': testPatternLaunch({ pattern: 'smpte', width: 320, height: 180, fps: 10, codec: 'h264' }),
      },
    });
    // the test server asks for no password; ffmpeg and GStreamer send it only when asked, but both hold it
    avUrl = rtsp.url('/av').replace('rtsp://', `rtsp://viewer:${PASSWORD}@`);
    av = {
      url: avUrl,
      codec: 'h264',
      // the annotated stream: inference draws on each frame, one more stage that delays the picture
      detect: {
        detector: 'motion',
        zones: [{ id: 'all', polygon: [[0, 0], [1, 0], [1, 1], [0, 1]] }],
        rules: [{ id: 'any', kind: 'intrusion', classes: ['motion'], zone: 'all' }],
      },
      egress: { url: rtmp.url('live/av'), bitrate: 400 },
    };
    vigil = await startVigil({
      redisUrl: bus.url,
      startTimeoutMs: 60_000,
      cameras: [
        { id: 'av', ...av },
        { id: 'mute', url: rtsp.url('/mute'), codec: 'h264', egress: { url: rtmp.url('live/mute'), stream: 'raw', bitrate: 300 } },
      ],
    });
  });

  after(async () => {
    await vigil?.stop();
    await rtsp?.stop();
    await rtmp?.stop();
    await bus?.stop();
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('RTMP (FLV): the push carries AAC beside H.264, and each beep is within 100 ms of its flash', async () => {
    const status = await liveTo('av', rtmp.url('live/av'));
    assert.deepEqual(status.audio, { carried: true, codec: 'aac', synced: true });
    assert.deepEqual(await streamTypes(rtmp.url('live/av')), ['audio:aac', 'video:h264']);
    // the source itself, as a player reading the camera gets it: the clip's own offset, for comparison
    report('the camera itself (RTSP)', await measureSync(rtsp.url('/av'), MEASURE_S));
    assertInSync('the RTMP push', await measureSync(rtmp.url('live/av'), MEASURE_S));
    const after = (await egressOf('av'))!;
    console.log(`# the pipeline's delay (capture to egress) of the last frame: ${after.latencyMs} ms; frames stamped on arrival: ${after.restamped}`);
    assert.ok(after.latencyMs! >= BUS_DELAY_MS, `the frames came ${after.latencyMs} ms after their capture`);
    assert.equal(after.restamped, 0);
  });

  test("the camera's password is in no process's argv, though the push's ffmpeg reads the camera for its sound", async () => {
    await liveTo('av', rtmp.url('live/av'));
    const processes = processArgv(vigil.child.process.pid!);
    // the push of the camera with sound: the one with a second input, its list on fd 4
    const push = processes.find(({ argv }) => argv[0] === 'ffmpeg' && argv.includes('pipe:4'));
    assert.ok(push, `the push's ffmpeg runs with an audio input: ${JSON.stringify(processes.map(({ argv }) => argv.join(' ')))}`);
    for (const { pid, argv } of processes) {
      for (const secret of [PASSWORD, 'viewer:', avUrl, rtsp.url('/av')]) assert.ok(!argv.some((arg) => arg.includes(secret)), `pid ${pid} shows ${secret}: ${argv.join(' ')}`);
    }
  });

  test('a camera without sound is pushed video only, and its status says why', async () => {
    const status = await liveTo('mute', rtmp.url('live/mute'));
    assert.deepEqual(status.audio, { carried: false, reason: 'the source has no audio stream' });
    assert.deepEqual(await streamTypes(rtmp.url('live/mute')), ['video:h264']);
  });

  test('RTSP (RECORD): the push carries the audio too, in sync', async () => {
    const file = join(dir, 'received.ts');
    const listener = listenRtsp(await freePort(), file);
    try {
      assert.equal((await sendJson('PUT', `${vigil.url}/api/cameras/av`, { ...av, egress: { ...av.egress, url: listener.url } })).status, 200);
      const status = await liveTo('av', listener.url);
      assert.equal(status.audio?.carried, true);
      const pushed = status.pushed;
      // enough received to measure: MEASURE_S of frames at the clip's rate, and a second more
      await waitFor('seconds of the push received', async () => ((await egressOf('av'))?.pushed ?? 0) - pushed > (MEASURE_S + 1) * CLIP.fps && (await stat(file)).size > 0, 60_000);
      assert.deepEqual(await streamTypes(file), ['audio:aac', 'video:h264']);
      assertInSync('the RTSP push', await measureSync(file, MEASURE_S));
    } finally {
      await listener.stop();
    }
  });

  test('audio: false: the push has no audio stream, and its status says it is turned off', async () => {
    assert.equal((await sendJson('PUT', `${vigil.url}/api/cameras/av`, { ...av, egress: { ...av.egress, url: rtmp.url('quiet/av'), audio: false } })).status, 200);
    const status = await liveTo('av', rtmp.url('quiet/av'));
    assert.deepEqual(status.audio, { carried: false, reason: 'turned off (audio: false)' });
    assert.deepEqual(await streamTypes(rtmp.url('quiet/av')), ['video:h264']);
  });
});
