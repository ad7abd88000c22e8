import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { keys, type CameraStatus } from '@vigil/contracts';
import { startRedisServer, startVigil, type RedisServerHandle, type VigilHandle } from '../../scripts/support';
import { capturePids } from '../support/process-tree';
import { waitFor } from '../support/wait';

interface ThreadPriority {
  name: string;
  nice: number;
}

/** Each thread of a process with its nice value (/proc/<pid>/task/<tid>/stat, field 19). */
function threads(pid: number): ThreadPriority[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // the name is in parentheses and may hold spaces or parentheses itself: the fields start after the last ')'
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return { name: stat.slice(stat.indexOf('(') + 1, close), nice: Number(fields[16]) };
  });
}

describe('CAPTURE_PROCESS_NICE: capture processes run below the services', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  let redis: RedisServerHandle;
  let vigil: VigilHandle;
  let probe: Redis;

  before(async () => {
    redis = await startRedisServer();
    probe = new Redis(redis.url);
    vigil = await startVigil({
      app: 'ingest',
      redisUrl: redis.url,
      env: { CAPTURE_PROCESS_NICE: '7' },
      cameras: [{ id: 'pattern', url: 'test://ball', width: 160, height: 120, fps: 5 }],
    });
  });

  after(async () => {
    await probe?.quit();
    await vigil?.stop();
    await redis?.stop();
  });

  test("the pipeline's threads and the read threads take the nice value; the service keeps its own", async () => {
    await waitFor('pattern live', async () => {
      const raw = await probe.hget(keys.cameraStatus, 'pattern');
      return raw && (JSON.parse(raw) as CameraStatus).state === 'live';
    }, 30_000);
    const [capture] = capturePids(vigil.child.process.pid!);
    assert.ok(capture, 'a capture process runs');
    const all = threads(capture);
    // GStreamer names a streaming thread after its pad ("videotestsrc0:src"), OpenCV's reads run on libuv's pool
    const streaming = all.filter((thread) => thread.name.includes(':src') || thread.name.includes(':sink'));
    assert.ok(streaming.length > 0, `the pipeline's streaming threads: ${all.map((t) => t.name).join(', ')}`);
    for (const thread of streaming) assert.equal(thread.nice, 7, `thread ${thread.name}`);
    const pool = all.filter((thread) => thread.name === 'libuv-worker');
    for (const thread of pool) assert.equal(thread.nice, 7, 'a libuv pool thread');
    assert.equal(threads(vigil.child.process.pid!)[0]!.nice, 0, 'the ingest service itself');
  });
});
