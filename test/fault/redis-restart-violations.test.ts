/**
 * Fault 1, violations: Redis is restarted with its data (append-only file) while inference keeps raising
 * violations. They used to be written straight to Redis and lost while it was away; now they wait in a bounded
 * buffer and go out in order once it is back. Inference's real output class against a real redis-server, which is
 * stopped for about 2 s and started again on the same port and data folder.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { loadConfig } from '@vigil/config';
import { keys, type ViolationEvent } from '@vigil/contracts';
import { MetricsService } from '@vigil/metrics';
import { RedisConnections } from '@vigil/redis';
import { DetectionOutputs } from '../../apps/inference/src/detection-outputs';
import { InferenceMetrics } from '../../apps/inference/src/inference-metrics';
import { startRedisServer, type RedisServerHandle } from '../../scripts/support';
import { reportFault } from '../support/fault-report';
import { waitFor } from '../support/wait';

const EVERY_MS = 50;
const OUTAGE_MS = 2000;

describe('Redis restarted with its data while violations are raised', { timeout: 60_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-redis-data-'));
  let redis: RedisServerHandle;
  let probe: Redis;
  let connections: RedisConnections;
  let outputs: DetectionOutputs;
  let metrics: MetricsService;

  before(async () => {
    redis = await startRedisServer({ dataDir });
    probe = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    probe.on('error', () => undefined);
    const config = loadConfig({ REDIS_URL: redis.url });
    connections = new RedisConnections(config);
    metrics = new MetricsService();
    outputs = new DetectionOutputs(connections, config, new InferenceMetrics(metrics));
    outputs.onModuleInit();
  });

  after(async () => {
    await outputs?.beforeApplicationShutdown();
    await connections?.onApplicationShutdown();
    probe?.disconnect();
    await redis?.stop();
  });

  const seqsInStream = async (): Promise<number[]> =>
    (await probe.xrange(keys.violations, '-', '+')).map(([, fields]) => (JSON.parse(fields[fields.indexOf('event') + 1]!) as ViolationEvent).seq);

  test('every violation raised during the outage arrives, in order', async () => {
    let seq = 0;
    const raise = (): void => {
      seq += 1;
      const ts = Date.now();
      void outputs.violation({ camera: 'gate', rule: 'no-entry', kind: 'intrusion', classes: ['person'], score: 0.9, detections: [], seq, ts, frames: 1 });
    };
    const timer = setInterval(raise, EVERY_MS);
    try {
      await waitFor('violations in the stream', async () => (await probe.xlen(keys.violations)) >= 5);
      await redis.stop();
      const firstDuring = seq + 1;
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS)); // the outage itself: violations go on meanwhile
      const lastDuring = seq;
      assert.ok(lastDuring - firstDuring >= 5, `violations raised while Redis was down: ${lastDuring - firstDuring + 1}`);
      redis = await startRedisServer({ port: redis.port, dataDir });
      const back = Date.now();
      await waitFor('the last violation of the outage in the stream', async () => (await seqsInStream()).includes(lastDuring), 30_000, 20);
      const recoveryMs = Date.now() - back;
      await waitFor('a violation raised after the restart in the stream', async () => (await seqsInStream()).some((n) => n > lastDuring + 3), 30_000);
      clearInterval(timer);
      const last = seq;
      await waitFor('every violation written', async () => (await seqsInStream()).at(-1) === last, 30_000);

      const seqs = await seqsInStream();
      assert.deepEqual(seqs, Array.from({ length: last }, (_, i) => i + 1), 'all of them, each once, in the order raised');
      const dropped = (await metrics.registry.getSingleMetric('vigil_violations_dropped_total')?.get())?.values ?? [];
      assert.equal(dropped.reduce((sum, value) => sum + value.value, 0), 0, 'none dropped');
      reportFault({
        fault: 'Redis restarted with its data: violations',
        recoveryMs,
        lost: { violations: 0 },
        note: `${lastDuring - firstDuring + 1} violations raised in a ${OUTAGE_MS / 1000} s outage; recovery: Redis back to the last of them written`,
      });
    } finally {
      clearInterval(timer);
    }
  });
});
