/**
 * Fault (slow): Redis is away for longer than a liveness probe's patience (70 s; Kubernetes restarts a pod after
 * periodSeconds x failureThreshold, 30 s to 60 s in common setups). Liveness must not follow Redis: /livez answers
 * 200 throughout, so no pod is restarted for an outage it can do nothing about, while /readyz answers 503 (take it
 * out of the load balancer) and 200 again once Redis is back. The process stays up and frames flow again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startRedisServer, startVigil, type RedisServerHandle, type VigilHandle } from '../../scripts/support';
import { reportFault } from '../support/fault-report';
import { viewerOf, type Socket } from '../support/io';
import { waitFor } from '../support/wait';

const OUTAGE_MS = 70_000;
const PROBE_EVERY_MS = 1000;

describe('fault: Redis away for longer than a liveness probe waits', { timeout: 240_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-redis-data-'));
  let redis: RedisServerHandle;
  let vigil: VigilHandle;
  let socket: Socket;
  const frameTimes: number[] = [];

  before(async () => {
    redis = await startRedisServer({ dataDir });
    vigil = await startVigil({ redisUrl: redis.url, cameras: [{ id: 'yard', url: 'test://ball', width: 160, height: 120, fps: 5 }] });
    socket = await viewerOf(vigil.url, 'yard');
    socket.on('frame', () => frameTimes.push(Date.now()));
  });

  after(async () => {
    socket?.disconnect();
    await vigil?.stop();
    await redis?.stop();
  });

  async function probe(path: string): Promise<number> {
    try {
      return (await fetch(`${vigil.url}${path}`, { signal: AbortSignal.timeout(2000), headers: { authorization: '' } })).status;
    } catch {
      return 0; // no answer in time: what a probe counts as a failure
    }
  }

  test('liveness stays 200 through the outage, readiness is 503 during it and 200 after, frames resume', async () => {
    await waitFor('frames', () => frameTimes.length > 5, 60_000);
    assert.equal(await probe('/readyz'), 200);
    await redis.save();
    const downAt = Date.now();
    const live: number[] = [];
    const ready: number[] = [];
    while (Date.now() - downAt < OUTAGE_MS) {
      live.push(await probe('/livez'));
      ready.push(await probe('/readyz'));
      await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS));
    }
    redis = await startRedisServer({ port: redis.port, dataDir });
    const backAt = Date.now();
    const readyAt = await waitFor('/readyz 200 again', async () => ((await probe('/readyz')) === 200 ? Date.now() : 0), 60_000, 250);
    const frameAt = await waitFor('a frame after the outage', () => frameTimes.find((at) => at > backAt), 60_000);
    reportFault({
      fault: `Redis away ${OUTAGE_MS / 1000} s (liveness vs readiness)`,
      recoveryMs: Math.max(readyAt, frameAt) - backAt,
      lost: { frames: Math.round(((frameAt - downAt) / 1000) * 5) },
      note: `${live.length} probes during the outage: /livez ${live.filter((status) => status === 200).length} x 200, /readyz ${ready.filter((status) => status === 503).length} x 503; ready again ${readyAt - backAt} ms after Redis`,
    });
    assert.deepEqual(new Set(live), new Set([200]), 'every liveness probe during the outage answered 200');
    assert.ok(ready.slice(3).every((status) => status === 503), `readiness said 503 during the outage (after the first seconds): ${ready.join(',')}`);
    assert.ok(vigil.child.running, 'the process is still up');
  });
});
