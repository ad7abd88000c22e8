/**
 * Retention in the running alarms service: with a real redis-server and real files in ALARMS_DIR, the service's
 * pass at start deletes the clips and snapshots past the age limit, then the oldest until the rest fit the size
 * limit, and marks those alarms' records (clip `deleted`, no snapshot) while the records themselves stay. Files of
 * alarms it has no record of go too, without failing the pass; files that are not alarms' are never touched.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import type { AlarmRecord } from '@vigil/contracts';
import { AlarmStore } from '../../libs/alarms/src/store';
import { startRedisServer, startVigil, type RedisServerHandle, type VigilHandle } from '../../scripts/support';
import { storedAlarm } from '../support/alarm-fixtures';
import { waitFor } from '../support/wait';

const DAY = 86_400_000;
const CLIP_BYTES = 30_000;
const SNAPSHOT_BYTES = 1_000;
/** room for two alarms' files (31 kB each) but not three */
const MAX_MB = 0.07;

describe('clip retention in the alarms service', { timeout: 120_000 }, () => {
  let redis: RedisServerHandle;
  let client: Redis;
  let store: AlarmStore;
  let alarmsDir: string;
  let alarms: VigilHandle | undefined;

  const now = Date.now();
  const ready = (startedAt: number) => storedAlarm({ camera: 'yard', rule: 'intrusion', startedAt, clip: { state: 'ready', from: startedAt - 5000, to: startedAt + 17_000, frames: 220, bytes: CLIP_BYTES, encoder: 'x264' } });
  const tooOld = ready(now - 3 * DAY);
  const oldestRecent = ready(now - 30 * 60_000);
  const recent = ready(now - 20 * 60_000);
  const newest = ready(now - 10 * 60_000);
  /** files on disk whose record is gone (say, removed by hand): older than the limit, so they must go */
  const orphan = ready(now - 2 * DAY);
  const otherFile = 'README.txt';

  before(async () => {
    alarmsDir = await mkdtemp(join(tmpdir(), 'vigil-retention-'));
    for (const a of [tooOld, oldestRecent, recent, newest, orphan]) {
      await writeFile(join(alarmsDir, `${a.id}.mp4`), Buffer.alloc(CLIP_BYTES, 1));
      await writeFile(join(alarmsDir, `${a.id}.jpg`), Buffer.alloc(SNAPSHOT_BYTES, 2));
    }
    await writeFile(join(alarmsDir, otherFile), 'not an alarm of ours');

    redis = await startRedisServer();
    client = new Redis(redis.url);
    store = new AlarmStore(client);
    for (const a of [tooOld, oldestRecent, recent, newest]) await store.record({ type: 'end', alarm: a });

    alarms = await startVigil({
      app: 'alarms',
      redisUrl: redis.url,
      env: { ALARMS_DIR: alarmsDir, ALARM_RETENTION_DAYS: '1', ALARM_RETENTION_MAX_MB: String(MAX_MB) },
    });
  });

  after(async () => {
    await alarms?.stop();
    await client?.quit();
    await redis?.stop();
    if (alarmsDir) await rm(alarmsDir, { recursive: true, force: true });
  });

  const files = async () => (await readdir(alarmsDir)).sort();
  const filesOf = (...list: AlarmRecord[]) => list.flatMap((a) => [`${a.id}.jpg`, `${a.id}.mp4`]);

  test('the pass at start deletes by age, then the oldest by size, and leaves other files alone', async () => {
    const kept = [otherFile, ...filesOf(recent, newest)].sort();
    await waitFor(`only the two newest alarms' files and ${otherFile} left in ${alarmsDir}`, async () => JSON.stringify(await files()) === JSON.stringify(kept), 30_000).catch(async (error: Error) => {
      throw new Error(`${error.message}; there: ${(await files()).join(', ')}\n${alarms!.child.describe()}`);
    });
    await waitFor('the pass saying what it deleted', () => alarms!.child.lastLines().some((line) => /deleted the clips of 3 alarm\(s\)/.test(line.text)), 5000);
  });

  test('the deleted alarms stay in the store, marked; the kept ones are unchanged', async () => {
    for (const a of [tooOld, oldestRecent]) {
      await waitFor(`alarm ${a.id} marked deleted`, async () => (await store.get(a.id))?.clip.state === 'deleted', 10_000);
      const record = await store.get(a.id);
      assert.equal(record?.snapshot, false, 'no snapshot any more');
      assert.equal(record?.camera, a.camera, 'the rest of the record stays');
      assert.equal(record?.startedAt, a.startedAt);
    }
    for (const a of [recent, newest]) assert.deepEqual(await store.get(a.id), a);
    assert.equal(await store.get(orphan.id), undefined, 'no record is made up for files without one');
    assert.ok(alarms!.child.running, 'the service runs on');
  });
});
