/**
 * Camera ids come and go (the soak adds and removes one every few seconds): each service's metrics forget a removed
 * camera, so that no series of it stays in the registry's output. Guards against series that grow for good.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MetricsService } from '@vigil/metrics';
import type { CameraRegistry, CameraStatuses } from '@vigil/redis';
import { AlarmsMetrics } from '../../apps/alarms/src/alarms-metrics';
import { EgressMetrics } from '../../apps/egress/src/egress-metrics';
import { InferenceMetrics } from '../../apps/inference/src/inference-metrics';
import { IngestMetrics } from '../../apps/ingest/src/cameras/ingest-metrics';
import { PublishMetrics } from '../../apps/publish/src/live/publish-metrics';

/** The registry's output lines (series, not comments) that name `camera`. */
async function seriesOf(metrics: MetricsService, camera: string): Promise<string[]> {
  return (await metrics.registry.metrics()).split('\n').filter((line) => !line.startsWith('#') && line.includes(`camera="${camera}"`));
}

const bad = { ok: false as const, reason: 'json' as const, detail: 'test' };

describe('metrics forget a removed camera', () => {
  test('alarms', async () => {
    const metrics = new MetricsService();
    const alarms = new AlarmsMetrics(metrics);
    for (const camera of ['gone', 'kept']) {
      alarms.events.inc({ camera, rule: 'r', type: 'start' });
      alarms.suppressed.inc({ camera, rule: 'r' });
      alarms.clips.inc({ camera, outcome: 'ready' });
      alarms.ringDropped.inc({ camera });
      alarms.clipOmitted.inc({ camera });
      alarms.badMessages.accept(camera, 'ch', bad);
    }
    assert.equal((await seriesOf(metrics, 'gone')).length, 6);
    await alarms.forget('gone');
    assert.deepEqual(await seriesOf(metrics, 'gone'), []);
    assert.equal((await seriesOf(metrics, 'kept')).length, 6, 'other cameras keep theirs');
  });

  test('inference', async () => {
    const metrics = new MetricsService();
    const inference = new InferenceMetrics(metrics);
    for (const camera of ['gone', 'kept']) {
      inference.inferred.inc({ camera, detector: 'motion' });
      inference.skipped.inc({ camera });
      inference.gated.inc({ camera });
      inference.violations.inc({ camera, rule: 'r' });
      inference.badMessages.accept(camera, 'ch', bad);
    }
    await inference.forget('gone');
    assert.deepEqual(await seriesOf(metrics, 'gone'), []);
    assert.equal((await seriesOf(metrics, 'kept')).length, 5);
  });

  test('publish: at a scrape, the series of cameras no longer in the registry', async () => {
    const metrics = new MetricsService();
    const registry = { list: async () => [{ id: 'kept' }] } as unknown as CameraRegistry;
    const statuses = { all: async () => new Map() } as unknown as CameraStatuses;
    const publish = new PublishMetrics(metrics, registry, statuses);
    for (const camera of ['gone', 'kept']) {
      publish.framesIn.inc({ camera, stream: 'raw' });
      publish.framesOut.inc({ camera, stream: 'raw', format: 'jpeg' });
      publish.dropped.inc({ camera, stream: 'raw', reason: 'slow_client' });
      publish.viewers.set({ camera, stream: 'raw' }, 0);
      publish.eventsDropped.inc({ camera, event: 'alarm', reason: 'slow_client' });
      publish.badMessages.accept(camera, 'ch', bad);
    }
    // the first scrape sweeps (its own output may still list them), the next shows none
    await metrics.registry.metrics();
    assert.deepEqual(await seriesOf(metrics, 'gone'), []);
    assert.equal((await seriesOf(metrics, 'kept')).length, 6);
  });

  test('ingest', async () => {
    const metrics = new MetricsService();
    const ingest = new IngestMetrics(metrics);
    ingest.frames.inc({ camera: 'gone' });
    ingest.setState('gone', 'live');
    ingest.fps.set({ camera: 'gone' }, 5);
    ingest.forget('gone');
    assert.deepEqual(await seriesOf(metrics, 'gone'), []);
  });

  test('egress', async () => {
    const metrics = new MetricsService();
    const egress = new EgressMetrics(metrics);
    egress.events().pushed('gone');
    egress.setState('gone', 'live');
    egress.badMessages.accept('gone', 'ch', bad);
    egress.forget('gone');
    await new Promise((resolve) => setImmediate(resolve)); // the bad-message counter is read before it is cleared
    assert.deepEqual(await seriesOf(metrics, 'gone'), []);
  });
});
