/**
 * Fault: Redis restarted empty (a failover to an empty replica, a restart without persistence). Ingest alone on a
 * real redis-server, one camera from its cameras file and one written into the registry as the API would. The
 * server is stopped and a fresh one started on the same port, with nothing in it.
 *
 * Guards against: ingest loading CAMERAS_FILE only at start, so that its next pass found an empty registry and
 * stopped every capture for good; and a loss that nobody logs, or that is logged at every pass.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { cameraConfigSchema, keys, type CameraInput } from '@vigil/contracts';
import { startRedisServer, startVigil, type RedisServerHandle, type VigilHandle } from '../../scripts/support';
import { reportFault } from '../support/fault-report';
import { FrameTap } from '../support/frame-tap';
import { waitFor } from '../support/wait';

const FILE_CAMERA: CameraInput = { id: 'yard', url: 'test://ball', width: 320, height: 180, fps: 10 };
/** not in the file: created "through the API", it lives in Redis only */
const API_CAMERA = cameraConfigSchema.parse({ id: 'api-cam', url: 'test://smpte', width: 160, height: 90, fps: 5 });
const LOSS = /Redis lost its data/;

describe('fault: Redis restarted empty', { timeout: 180_000 }, () => {
  let redis: RedisServerHandle;
  let probe: Redis;
  let ingest: VigilHandle;
  let tap: FrameTap;
  const log: { text: string; at: number }[] = [];

  before(async () => {
    redis = await startRedisServer();
    probe = new Redis(redis.url, { maxRetriesPerRequest: null });
    await probe.hset(keys.cameras, API_CAMERA.id, JSON.stringify(API_CAMERA));
    ingest = await startVigil({ app: 'ingest', redisUrl: redis.url, cameras: [FILE_CAMERA], env: { INSTANCE_ID: 'ingest-fault' }, onLine: (line) => log.push({ text: line.text, at: Date.now() }) });
    tap = await FrameTap.open(redis.url, FILE_CAMERA.id);
  });

  after(async () => {
    await tap?.close();
    await ingest?.stop();
    probe?.disconnect();
    await redis?.stop();
  });

  /** the ingest replica's heartbeat, renewed at every pass */
  const heartbeat = async (): Promise<string | null> => probe.zscore(keys.replicas('ingest'), 'ingest-fault');
  const status = async (id: string): Promise<string | undefined> => {
    const json = await probe.hget(keys.cameraStatus, id);
    return json ? (JSON.parse(json) as { state: string }).state : undefined;
  };

  test('the cameras file is written again, capture goes on, and the loss is logged once, naming what went with it', async () => {
    await tap.next(3, 60_000);
    await waitFor('the API camera captured too (ingest has seen it)', async () => (await status(API_CAMERA.id)) === 'live', 60_000, 250);

    const port = redis.port;
    await redis.stop();
    const lastSeqBefore = tap.frames.at(-1)!.seq;
    redis = await startRedisServer({ port });
    const backAt = Date.now();
    const [firstAfterBack] = await tap.next(1, 30_000);
    const flowingAfterMs = Date.now() - backAt;
    assert.ok(firstAfterBack!.seq > lastSeqBefore, `the capture was never restarted: seq ${lastSeqBefore} before, ${firstAfterBack!.seq} after`);

    const loss = await waitFor('the loss logged', () => log.find((entry) => LOSS.test(entry.text)), 30_000);
    const line = loss.text;
    assert.match(line, /1 written again from .*cameras\.json/, line);
    assert.match(line, /1 lost for good .*: api-cam/, line);
    assert.match(line, /2 camera\(s\) were in the registry before/, line);

    await waitFor('the file camera back in the registry', async () => (await probe.hexists(keys.cameras, FILE_CAMERA.id)) === 1, 30_000);
    // frames after the pass that found the loss: the capture survived it (before the fix that pass stopped it)
    const later = await tap.next(3, 30_000);
    assert.ok(later[0]!.seq > firstAfterBack!.seq, 'the same capture goes on');
    await waitFor('the file camera live again in the new registry', async () => (await status(FILE_CAMERA.id)) === 'live', 30_000, 250);
    assert.equal(await probe.hexists(keys.cameras, API_CAMERA.id), 0, 'the lost camera is not made up again');

    // two more passes after the one that found the loss: still logged once
    const beat = await waitFor('a heartbeat', heartbeat, 10_000);
    await waitFor('a pass after the loss', async () => (await heartbeat()) !== beat, 10_000, 100);
    const beat2 = await heartbeat();
    await waitFor('another pass', async () => (await heartbeat()) !== beat2, 10_000, 100);
    assert.equal(log.filter((entry) => LOSS.test(entry.text)).length, 1, 'the loss is logged exactly once');

    reportFault({
      fault: 'Redis restarted empty',
      recoveryMs: Math.max(0, loss.at - backAt),
      // frames captured while Redis was away (the publisher drops them), by the capture's own sequence numbers
      lost: { frames: firstAfterBack!.seq - lastSeqBefore - 1 },
      note: `from Redis back to the cameras file written again; frames flowed ${flowingAfterMs} ms after Redis was back and the capture never stopped; the API camera is lost with Redis, and the one log line says so`,
    });
  });
});
