/**
 * Fault 7: the disk fills while a clip is written. The clip is marked `failed` with a reason that says ENOSPC, the
 * service keeps going, retention frees space at once (the oldest clips, only as many as the free-space floor needs),
 * and the next clip succeeds.
 *
 * Two levels. At the encoder's and the store's boundary (always runs): a real ffmpeg writes its MP4 into /dev/full,
 * whose every write fails with ENOSPC, and a store below its free floor deletes its oldest alarms' files. On a real
 * 8 MiB tmpfs (needs mount rights, i.e. root; skipped with the reason otherwise): the whole system, filled up by the
 * test while an alarm records.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { AlarmStore, ClipEncodeError, ClipEncoder, ClipStore, type ClipFrame } from '@vigil/alarms';
import { newAlarmId, type AlarmRecord } from '@vigil/contracts';
import { probeVideo, requireExecutable, startRedisServer, startVigil, type RedisServerHandle, type VigilHandle } from '../../scripts/support';
import { addViolation } from '../support/alarm-fixtures';
import { metric } from '../support/api';
import { reportFault } from '../support/fault-report';
import { waitFor } from '../support/wait';

const run = (command: string, args: string[]): string => execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** JPEG pictures of a test pattern, made by the real ffmpeg. */
function jpegs(dir: string, count: number): Promise<ClipFrame[]> {
  const ffmpeg = requireExecutable('ffmpeg', 'apt-get install ffmpeg');
  run(ffmpeg, ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-frames:v', String(count), join(dir, '%03d.jpg')]);
  return Promise.all(
    Array.from({ length: count }, async (_, i) => ({
      seq: i,
      ts: 1_700_000_000_000 + i * 100,
      width: 160,
      height: 120,
      data: await readFile(join(dir, `${String(i + 1).padStart(3, '0')}.jpg`)),
    })),
  );
}

describe('a full disk at the clip boundary (always runs)', { timeout: 120_000 }, () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-fault-enospc-'));
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('ffmpeg writing the MP4 into a full device: ClipEncodeError says ENOSPC and where, and leaves nothing behind', async () => {
    const ffmpeg = requireExecutable('ffmpeg', 'apt-get install ffmpeg');
    // the real ffmpeg, its output (the clip's partial file, always the last argument) sent to /dev/full instead
    const wrapper = join(dir, 'ffmpeg-into-dev-full');
    await writeFile(wrapper, `#!/bin/bash\nlast="\${@: -1}"\nif [[ "$last" == *.partial ]]; then exec ${JSON.stringify(ffmpeg)} "\${@:1:$#-1}" /dev/full; fi\nexec ${JSON.stringify(ffmpeg)} "$@"\n`);
    await chmod(wrapper, 0o755);
    const frames = await jpegs(await mkdtemp(join(dir, 'frames-')), 10);
    const [out, work] = [join(dir, 'out'), join(dir, 'work')];
    await Promise.all([mkdir(out), mkdir(work)]);

    const full = await ClipEncoder.create({ preference: 'x264', ffmpeg: wrapper, tmpDir: work, threads: 1 });
    const id = newAlarmId(Date.now(), randomBytes(5));
    const error = await full.encode({ id, camera: 'gate', frames, path: join(out, `${id}.mp4`) }).then(
      () => assert.fail('the encode into /dev/full succeeded'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof ClipEncodeError, String(error));
    assert.equal(error.diskFull, true);
    assert.match(error.message, /no space left on device \(ENOSPC\)/);
    assert.ok(error.message.includes(out), `names the folder: ${error.message}`);
    assert.ok(error.message.includes(`camera gate`), error.message);
    assert.deepEqual(await readdir(out), [], 'no partial clip left');
    assert.deepEqual(await readdir(work), [], 'no frames left in the work folder');

    // the same frames into a disk with room: the fault was the disk, not the clip
    const encoder = await ClipEncoder.create({ preference: 'x264', tmpDir: work, threads: 1 });
    const clip = await encoder.encode({ id, camera: 'gate', frames, path: join(out, `${id}.mp4`) });
    assert.equal(clip.frames, 10);
  });

  test('a store whose disk cannot reach its free floor deletes every alarm but the busy one, oldest first', async () => {
    const free = (await statfs(dir)).bavail * (await statfs(dir)).bsize;
    // a floor far above what this disk can ever have free, so the outcome does not depend on other writers
    const store = new ClipStore({ dir: join(dir, 'store'), minFreeBytes: free + 2 ** 40 });
    await store.open();
    const ids = [3, 2, 1, 0].map((hoursAgo) => newAlarmId(Date.now() - hoursAgo * 3600_000, randomBytes(5)));
    for (const id of ids) await writeFile(store.clipPath(id), Buffer.alloc(4096));
    const outcome = await store.enforceRetention(Date.now(), new Set([ids[1]!]));
    assert.deepEqual(outcome.deleted, [ids[0], ids[2], ids[3]]);
    assert.deepEqual(await readdir(store.dir), [`${ids[1]}.mp4`]);
    // and with the floor reached, nothing young goes
    const relaxed = new ClipStore({ dir: store.dir, minFreeBytes: 1 });
    assert.deepEqual((await relaxed.enforceRetention()).deleted, []);
  });
});

const SIZE = '8m';

/** Mounts a size-limited tmpfs, or says why it cannot (not root, no mount rights in this container). */
function mountTmpfs(at: string): string | undefined {
  try {
    run('mount', ['-t', 'tmpfs', '-o', `size=${SIZE},mode=0755`, 'tmpfs', at]);
    return undefined;
  } catch (error) {
    return `cannot mount a ${SIZE} tmpfs here (needs root or CAP_SYS_ADMIN): ${String((error as { stderr?: string }).stderr ?? error).trim()}`;
  }
}

const mountPoint = mkdtempSync(join(tmpdir(), 'vigil-fault-disk-'));
const cannotMount = mountTmpfs(mountPoint);
if (cannotMount) rmSync(mountPoint, { recursive: true, force: true });

describe(`the disk fills while a clip is written (a real ${SIZE} tmpfs)`, { timeout: 240_000, skip: cannotMount }, () => {
  let redis: RedisServerHandle;
  let probe: Redis;
  let vigil: VigilHandle;
  const alarmsDir = join(mountPoint, 'alarms');
  const freeBytes = async (): Promise<number> => {
    const fs = await statfs(mountPoint);
    return fs.bavail * fs.bsize;
  };

  before(async () => {
    redis = await startRedisServer();
    probe = new Redis(redis.url);
    vigil = await startVigil({
      redisUrl: redis.url,
      env: { ALARMS_DIR: alarmsDir, ALARM_RETENTION_MIN_FREE_MB: '1', ALARM_PRE_SECONDS: '1', ALARM_POST_SECONDS: '1', ALARM_QUIET_SECONDS: '1.5', ALARM_COOLDOWN_SECONDS: '0' },
      cameras: [{ id: 'dock', url: 'test://ball', width: 320, height: 180, fps: 5, detect: { detector: 'motion' } }],
    });
  });

  after(async () => {
    await vigil?.stop();
    await probe?.quit();
    await redis?.stop();
    try {
      run('umount', [mountPoint]);
    } finally {
      await rm(mountPoint, { recursive: true, force: true });
    }
  });

  /** One alarm of `rule`: violations for a second (well within the quiet time), then quiet. Resolves with its record once its clip settled. */
  async function alarm(rule: string): Promise<AlarmRecord> {
    const startedAt = Date.now();
    for (let i = 0; i < 3; i++) {
      await addViolation(probe, 'dock', rule, Date.now());
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const store = new AlarmStore(probe);
    return waitFor(`the clip of alarm ${rule} settles`, async () => {
      const page = await store.list({ camera: 'dock', since: startedAt - 1000, limit: 10 });
      const found = page.items.filter((item) => item.rule === rule);
      assert.ok(found.length <= 1, `one alarm of rule ${rule}, got ${found.length}`);
      return found[0] && (found[0].clip.state === 'ready' || found[0].clip.state === 'failed') ? found[0] : undefined;
    }, 90_000, 200);
  }

  test('the clip fails saying ENOSPC, retention frees the oldest clip at once, and the next clip is ready', async () => {
    await waitFor('the ring fills', async () => ((await metric(vigil.url, 'vigil_alarm_clip_memory_bytes', { camera: 'dock' })) ?? 0) > 0, 60_000);
    // the disk fills with older clips (up to an hour old: young enough for the age limit, and far under the size limit)
    const fillers: string[] = [];
    for (let n = 0; ; n++) {
      const id = newAlarmId(Date.now() - (60 - n) * 60_000, randomBytes(5));
      fillers.push(id);
      const wrote = await writeFile(join(alarmsDir, `${id}.mp4`), Buffer.alloc(1024 * 1024)).then(() => true, (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOSPC') throw error;
        return false;
      });
      if (!wrote) break;
    }
    assert.ok((await freeBytes()) < 64 * 1024, `the disk is full (${await freeBytes()} bytes free)`);

    const failed = await alarm('first');
    const failedAt = Date.now();
    assert.equal(failed.clip.state, 'failed', JSON.stringify(failed.clip));
    assert.match(failed.clip.error ?? '', /no space left on device \(ENOSPC\)/);
    const freed = await waitFor('retention frees the floor', async () => ((await freeBytes()) >= 1024 * 1024 ? Date.now() : undefined), 30_000, 50);
    const left = await readdir(alarmsDir);
    const deleted = fillers.filter((id) => !left.includes(`${id}.mp4`));
    assert.deepEqual(deleted, [fillers[0]], `only the oldest, as much as the 1 MiB floor needs; left: ${left.join(', ')}`);

    const ready = await alarm('second');
    assert.equal(ready.clip.state, 'ready', JSON.stringify(ready.clip));
    const video = await probeVideo(join(alarmsDir, `${ready.id}.mp4`));
    assert.equal(video.codec, 'h264');
    assert.equal((await fetch(`${vigil.url}/healthz`)).status, 200, 'the service kept going');
    const alarms = (await new AlarmStore(probe).list({ camera: 'dock', limit: 10 })).items;
    assert.equal(alarms.length, 2, 'both alarms are recorded');

    reportFault({
      fault: `disk full while a clip is written (${SIZE} tmpfs)`,
      recoveryMs: freed - failedAt,
      lost: { alarms: 2 - alarms.length },
      note: `recovery: from the failed clip to the free floor restored; that alarm's clip is lost (ENOSPC), its record is not; retention deleted ${deleted.length} old clip(s); the next clip was ready`,
    });
  });
});
