/**
 * ALARM_CLIP_MEMORY_MB in the all-in-one process: a camera of large frames (noise at full quality, about 1 MB each)
 * with two alarms open at once. Guards against: a ring plus recordings that could reach about 320 MiB per camera,
 * each overlapping alarm holding its own copy. The camera's held bytes never pass the budget, the clips keep their
 * beginning and say how many frames they left out, and the metric shows it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { keys, type AlarmRecord, type ViolationEvent } from '@vigil/contracts';
import { startRedisServer, startVigil, type RedisServerHandle, type VigilHandle } from '../../scripts/support';
import { getJson, metric } from '../support/api';
import { waitFor } from '../support/wait';

const BUDGET_MB = 8;
const BUDGET = BUDGET_MB * 1024 * 1024;

describe('clip memory per camera (ALARM_CLIP_MEMORY_MB)', { timeout: 180_000 }, () => {
  let redis: RedisServerHandle;
  let vigil: VigilHandle;
  let probe: Redis;
  let stopSampling = false;
  let peak = 0;
  let sampling: Promise<void>;

  before(async () => {
    redis = await startRedisServer();
    probe = new Redis(redis.url);
    vigil = await startVigil({
      redisUrl: redis.url,
      env: { ALARM_CLIP_MEMORY_MB: String(BUDGET_MB), ALARM_PRE_SECONDS: '1', ALARM_POST_SECONDS: '1', ALARM_QUIET_SECONDS: '1' },
      cameras: [{ id: 'noise', url: 'test://snow', width: 1280, height: 720, fps: 5, jpegQuality: 100, detect: { detector: 'motion' } }],
    });
    sampling = (async () => {
      while (!stopSampling) {
        peak = Math.max(peak, (await metric(vigil.url, 'vigil_alarm_clip_memory_bytes', { camera: 'noise' })) ?? 0);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
  });

  after(async () => {
    stopSampling = true;
    await sampling;
    await probe?.quit();
    await vigil?.stop();
    await redis?.stop();
  });

  async function violate(rule: string, ts: number): Promise<void> {
    const event: ViolationEvent = { camera: 'noise', rule, kind: 'intrusion', classes: ['person'], score: 0.9, detections: [], seq: ts, ts, frames: 2 };
    await probe.xadd(keys.violations, '*', 'camera', event.camera, 'rule', event.rule, 'event', JSON.stringify(event));
  }

  test('two overlapping alarms of a camera stay within its budget; their clips keep the beginning and count the rest', async () => {
    await waitFor('the ring fills', async () => ((await metric(vigil.url, 'vigil_alarm_clip_memory_bytes', { camera: 'noise' })) ?? 0) > 0, 30_000);
    const t0 = Date.now();
    // two rules at once, each violating for 4 s: about 20 frames of 1.4 MB each, far past 8 MB
    for (let i = 0; i <= 8; i++) {
      await violate('helmet', t0 + i * 500);
      await violate('harness', t0 + i * 500);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const clips = await waitFor('both clips', async () => {
      const { body } = await getJson<{ items: AlarmRecord[] }>(`${vigil.url}/api/alarms?camera=noise`);
      return body.items.length === 2 && body.items.every((alarm) => alarm.clip.state === 'ready') ? body.items : undefined;
    }, 60_000);
    for (const alarm of clips) {
      assert.ok((alarm.clip.omitted ?? 0) > 0, `${alarm.rule}: frames were left out (${JSON.stringify(alarm.clip)})`);
      assert.ok((alarm.clip.frames ?? 0) >= 2, `${alarm.rule}: the clip still has its beginning`);
      // the beginning is kept: the clip opens at the alarm (the ring holds about one 1.4 MB frame), not seconds later
      // where dropping the oldest frames would have left it
      assert.ok(alarm.clip.from! - alarm.startedAt < 2000, `${alarm.rule}: the clip opens at the alarm (${alarm.clip.from! - alarm.startedAt} ms after it)`);
    }
    console.log(`clip memory: peak ${peak} of ${BUDGET} bytes; ${clips.map((alarm) => `${alarm.rule}: ${alarm.clip.frames} frames, ${alarm.clip.omitted} left out`).join('; ')}`);
    const omitted = (await metric(vigil.url, 'vigil_alarm_clip_frames_omitted_total', { camera: 'noise' })) ?? 0;
    assert.equal(omitted, clips.reduce((sum, alarm) => sum + (alarm.clip.omitted ?? 0), 0));
    assert.ok(peak > BUDGET / 2, `the budget was reached (peak ${peak} bytes)`);
    assert.ok(peak <= BUDGET, `held ${peak} bytes, more than ${BUDGET}`);
  });
});
