/**
 * Fault 11, the clip side: the alarms process is killed (SIGKILL: no shutdown, nothing staged at the last moment)
 * while an alarm records its clip, and started again. The recording's frames were written through to its staged
 * folder as they came, so the restarted process records on from them, and the final clip still spans from `pre`
 * before the alarm's start to `post` after its last violation (the frames of the seconds it was down are missing,
 * shown as the gap they were). Services run as separate processes, as in a split deployment: ingest publishes a
 * real camera's frames, the test adds the violations inference would.
 *
 * Tolerance: the clip opens at the last frame at or before `start - pre` and closes at the last frame at or before
 * `lastSeen + post`; at 5 fps each end may be up to one frame interval (200 ms) inside the window, so both ends are
 * checked to 300 ms, and ffprobe's duration to 500 ms of the window (the last frame is held one interval).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { AlarmStore } from '@vigil/alarms';
import type { AlarmRecord } from '@vigil/contracts';
import { requireExecutable, startRedisServer, startVigil, type RedisServerHandle, type VigilHandle } from '../../scripts/support';
import { addViolation } from '../support/alarm-fixtures';
import { metric } from '../support/api';
import { reportFault } from '../support/fault-report';
import { waitFor } from '../support/wait';

const PRE_S = 2;
const POST_S = 2;
const FPS = 5;
const END_TOLERANCE_MS = 300;
const DURATION_TOLERANCE_S = 0.5;

describe('the alarms process killed while an alarm records its clip', { timeout: 240_000 }, () => {
  let redis: RedisServerHandle;
  let probe: Redis;
  let ingest: VigilHandle;
  let alarms: VigilHandle | undefined;
  let alarmsDir: string;
  let violating = true;
  let violations: Promise<void>;

  const startAlarms = (): Promise<VigilHandle> =>
    startVigil({
      app: 'alarms',
      redisUrl: redis.url,
      env: {
        INSTANCE_ID: 'alarms-killed',
        ...(alarmsDir ? { ALARMS_DIR: alarmsDir } : {}),
        ALARM_PRE_SECONDS: String(PRE_S),
        ALARM_POST_SECONDS: String(POST_S),
        // longer than the process is down, so the violations it missed carry the same alarm on
        ALARM_QUIET_SECONDS: '12',
        ALARM_COOLDOWN_SECONDS: '0',
      },
    });

  before(async () => {
    redis = await startRedisServer();
    probe = new Redis(redis.url);
    ingest = await startVigil({
      app: 'ingest',
      redisUrl: redis.url,
      cameras: [{ id: 'gate', url: 'test://ball', width: 320, height: 180, fps: FPS, detect: { detector: 'motion' } }],
    });
    alarms = await startAlarms();
    alarmsDir = alarms.alarmsDir;
  });

  after(async () => {
    violating = false;
    await violations;
    await alarms?.stop();
    await ingest?.stop();
    await probe?.quit();
    await redis?.stop();
  });

  const store = (): AlarmStore => new AlarmStore(probe);
  const gateAlarms = async (): Promise<AlarmRecord[]> => (await store().list({ camera: 'gate', limit: 10 })).items;
  const logSize = (id: string): Promise<number> => stat(join(alarmsDir, 'staged', id, 'frames.log')).then((info) => info.size, () => 0);

  test('after SIGKILL and a restart the clip still spans pre before the start to post after the end', async () => {
    // the clip recorder's ring holds `pre` seconds of frames before the first violation
    await waitFor('frames in the ring', async () => ((await metric(alarms!.url, 'vigil_alarm_clip_memory_bytes', { camera: 'gate' })) ?? 0) > 0, 60_000, 200);
    await new Promise((resolve) => setTimeout(resolve, (PRE_S + 1) * 1000));
    violations = (async () => {
      while (violating) {
        await addViolation(probe, 'gate', 'intrusion');
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    })();
    const [alarm] = await waitFor('the alarm starts', async () => ((await gateAlarms()).length === 1 ? gateAlarms() : undefined), 30_000, 100);
    const id = alarm!.id;
    await waitFor('the recording writes its frames through to disk', async () => (await logSize(id)) > 0, 10_000, 50);
    await new Promise((resolve) => setTimeout(resolve, 1500));

    await alarms!.child.stop('SIGKILL');
    const sizeAtKill = await logSize(id);
    alarms = await startAlarms();
    const restarted = Date.now();
    await waitFor('the restarted process appends to the same staged clip', async () => (await logSize(id)) > sizeAtKill, 30_000, 50);
    const recoveryMs = Date.now() - restarted;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    violating = false;
    await violations;

    const final = await waitFor('the clip is encoded', async () => {
      const found = await store().get(id);
      return found && (found.clip.state === 'ready' || found.clip.state === 'failed') ? found : undefined;
    }, 90_000, 250);
    assert.equal(final.clip.state, 'ready', JSON.stringify(final.clip));
    assert.equal((await gateAlarms()).length, 1, 'the alarm was carried on, not started again');

    const from = final.startedAt - PRE_S * 1000;
    const to = final.lastSeenAt + POST_S * 1000;
    const clip = final.clip;
    assert.ok(clip.from! <= from + END_TOLERANCE_MS && clip.from! >= from - END_TOLERANCE_MS, `opens at start - pre: ${clip.from! - from} ms off`);
    assert.ok(clip.to! <= to + END_TOLERANCE_MS && clip.to! >= to - END_TOLERANCE_MS, `closes at last seen + post: ${clip.to! - to} ms off`);

    const ffprobe = requireExecutable('ffprobe', 'apt-get install ffmpeg');
    const { stdout } = await promisify(execFile)(ffprobe, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'json', join(alarmsDir, `${id}.mp4`)]);
    const duration = Number((JSON.parse(stdout) as { format: { duration: string } }).format.duration);
    const window = (to - from) / 1000;
    assert.ok(Math.abs(duration - window) <= DURATION_TOLERANCE_S, `ffprobe: ${duration} s, the window is ${window} s`);

    const expectedFrames = Math.round(window * FPS);
    reportFault({
      fault: 'alarms process SIGKILLed during an alarm: its clip',
      recoveryMs,
      lost: { frames: Math.max(0, expectedFrames - (clip.frames ?? 0)), alarms: 0 },
      note: `recovery: restart to the clip's recording on; clip ${duration.toFixed(1)} s for a ${window.toFixed(1)} s window; frames lost are those of the seconds the process was down`,
    });
  });
});
