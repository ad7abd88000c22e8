/**
 * Ingest, egress, inference and the cameras file seed as configurations of the registry follower, on fakes (no
 * Redis, no capture process, no ffmpeg). Guards against: a service that follows the wrong cameras, leaves a "live"
 * status behind at shutdown, keeps a push on an old config, or forgets its status row; and ingest losing its cameras
 * file with Redis, or logging that loss at every pass.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Logger } from '@nestjs/common';
import { loadConfig, type SourcePolicy, type VigilConfig } from '@vigil/config';
import { channels, keys, type CameraInput, type InferenceStatus } from '@vigil/contracts';
import type { PipelinePlanner } from '@vigil/media';
import { MetricsService } from '@vigil/metrics';
import type { BusSubscriber, InferenceStatuses, MessageHandler, RedisConnections, RegistryGeneration } from '@vigil/redis';
import type { EgressAudio } from '../../apps/egress/src/egress-audio';
import { EgressEncoders } from '../../apps/egress/src/egress-encoders';
import { EgressMetrics } from '../../apps/egress/src/egress-metrics';
import { EgressService } from '../../apps/egress/src/egress.service';
import type { DetectionOutputs } from '../../apps/inference/src/detection-outputs';
import { InferenceMetrics } from '../../apps/inference/src/inference-metrics';
import { InferenceService } from '../../apps/inference/src/inference.service';
import type { ModelRuntime } from '../../apps/inference/src/model/model-runtime';
import { CamerasFileSeed } from '../../apps/ingest/src/cameras/cameras-file-seed';
import { IngestMetrics } from '../../apps/ingest/src/cameras/ingest-metrics';
import { IngestService } from '../../apps/ingest/src/cameras/ingest.service';
import { camera, FakeRegistry, fakeFollowers, RecordingLogger } from '../support/follower-fakes';

/** Nest's loggers (every `new Logger(context)`) write here while these tests run */
const logs = new RecordingLogger();
before(() => Logger.overrideLogger({ log: (m: string) => logs.log(m), warn: (m: string) => logs.warn(m), error: (m: string) => logs.warn(m), debug: (m: string) => logs.debug(m), verbose: () => undefined }));
after(() => Logger.overrideLogger(true));

/** a source policy that admits every file camera and never lets a capture start (it waits forever) */
const policy = { check: async () => ({ ok: true }), admit: () => new Promise(() => undefined), admitTarget: async () => undefined } as unknown as SourcePolicy;

function camerasFile(cameras: CameraInput[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'vigil-follower-')), 'cameras.json');
  writeFileSync(file, JSON.stringify({ cameras }));
  return file;
}

/** a registry generation the test changes, as a Redis that lost its data would */
class FakeGeneration {
  token = 'g1';
  async current(): Promise<string> {
    return this.token;
  }
}

/** The bus's subscriptions, by channel. */
class FakeBus {
  readonly channels = new Map<string, MessageHandler>();
  async add(_camera: string, channel: string, handler: MessageHandler): Promise<void> {
    this.channels.set(channel, handler);
  }
  async remove(_camera: string, channel: string): Promise<void> {
    this.channels.delete(channel);
  }
  asBus(): BusSubscriber {
    return this as unknown as BusSubscriber;
  }
}

describe('IngestService and its cameras file', () => {
  const file = camerasFile([{ id: 'yard', url: 'test://ball' }, { id: 'gate', url: 'test://smpte', enabled: false }]);
  const config = { ...loadConfig({ INSTANCE_ID: 'ingest-unit' }), camerasFile: file } as VigilConfig;

  function ingest(registry: FakeRegistry) {
    const generation = new FakeGeneration();
    const seed = new CamerasFileSeed(config, registry.asRegistry(), generation as unknown as RegistryGeneration, policy);
    const { followers, shares } = fakeFollowers(registry, config);
    const service = new IngestService(config, registry.asRegistry(), followers, seed, {} as PipelinePlanner, new IngestMetrics(new MetricsService()), policy);
    return { service, generation, share: () => shares.get('ingest')! };
  }

  test('captures the enabled cameras, clears the status of a removed one, and leaves an "offline" status and the share at shutdown', async () => {
    const registry = new FakeRegistry([camera({ id: 'api' })]);
    const { service, share } = ingest(registry);
    await service.onApplicationBootstrap();
    assert.deepEqual([...registry.cameras.keys()].sort(), ['api', 'gate', 'yard'], 'the file is in the registry');
    assert.deepEqual(service.localStatuses().map((status) => status.id), ['api', 'yard'], 'the disabled camera is not captured');

    registry.cameras.delete('api');
    await service['follower'].reconcile();
    assert.deepEqual(service.localStatuses().map((status) => status.id), ['yard']);
    assert.equal(registry.statuses.has('api'), false, 'a removed camera leaves no status');
    assert.deepEqual(share().released, ['api']);

    await service.beforeApplicationShutdown();
    assert.equal(registry.statuses.get('yard')?.state, 'offline');
    assert.deepEqual(share().left, ['yard']);
  });

  test('Redis lost its data: the file goes back before the pass reads the registry, the capture goes on, and the loss is logged once', async () => {
    const registry = new FakeRegistry([camera({ id: 'api' })]);
    const { service, generation } = ingest(registry);
    await service.onApplicationBootstrap();
    const runner = service['runners'].get('yard');

    // what an empty Redis looks like: no registry, and the next generation
    registry.cameras.clear();
    generation.token = 'g2';
    logs.lines.length = 0;
    await service['follower'].reconcile();
    assert.deepEqual([...registry.cameras.keys()].sort(), ['gate', 'yard']);
    assert.equal(service['runners'].get('yard'), runner, 'the capture was never stopped');
    const lines = logs.at('warn', /Redis lost its data/);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /3 camera\(s\) were in the registry before; 2 written again from .*cameras\.json; 1 lost for good .*: api$/);

    await service['follower'].reconcile();
    assert.equal(logs.at('warn', /Redis lost its data/).length, 1, 'once');
    await service.beforeApplicationShutdown();
  });

  test('a write that fails after the loss is tried again at the next pass, and the loss logged when it worked', async () => {
    const registry = new FakeRegistry();
    const { service, generation } = ingest(registry);
    await service.onApplicationBootstrap();
    registry.cameras.clear();
    generation.token = 'g3';
    registry.fail = new Error('LOADING Redis is loading the dataset in memory');
    logs.lines.length = 0;
    await service['follower'].reconcile();
    assert.equal(logs.at('warn', /Redis lost its data/).length, 0);
    assert.equal(logs.at('warn', /cannot follow the camera registry: LOADING/).length, 1);
    registry.fail = undefined;
    await service['follower'].reconcile();
    assert.deepEqual([...registry.cameras.keys()].sort(), ['gate', 'yard']);
    assert.equal(logs.at('warn', /Redis lost its data/).length, 1);
    await service.beforeApplicationShutdown();
  });
});

describe('EgressService', () => {
  const config = loadConfig({ INSTANCE_ID: 'egress-unit' });
  const encoders = { forCamera: async () => ({ error: 'no encoder in unit tests' }) } as unknown as EgressEncoders;
  const silentAudio = { plan: async () => ({ none: 'no audio in unit tests' }) } as unknown as EgressAudio;

  test('pushes the cameras with an egress section, restarts a push whose config changed, and closes them all at shutdown', async () => {
    const egress = (url: string) => ({ egress: { url, stream: 'raw' as const } });
    const registry = new FakeRegistry([camera({ id: 'a', ...egress('rtmp://127.0.0.1/live/a') }), camera({ id: 'plain' })]);
    const bus = new FakeBus();
    const { followers, shares } = fakeFollowers(registry, config);
    const service = new EgressService(config, bus.asBus(), encoders, new EgressMetrics(new MetricsService()), policy, silentAudio, followers);
    await service['follower'].start();
    assert.deepEqual(service.statuses().map((status) => status.camera), ['a']);
    assert.deepEqual([...bus.channels.keys()], [channels.frames('a', 'raw')]);

    registry.set(camera({ id: 'a', ...egress('rtmp://127.0.0.2/live/a') }));
    await service['follower'].reconcile();
    assert.match(service.status('a').url, /127\.0\.0\.2/, 'the push follows the new target');

    await service.beforeApplicationShutdown();
    assert.deepEqual(service.statuses(), []);
    assert.deepEqual(bus.channels.size, 0);
    assert.deepEqual(shares.get('egress')!.left, ['a']);
  });
});

describe('InferenceService', () => {
  const config = loadConfig({ INSTANCE_ID: 'inference-unit' });

  test('detects the cameras with detection on, writes their status after each pass, and removes it when a camera goes', async () => {
    const detect = { detect: { detector: 'motion' as const } };
    const registry = new FakeRegistry([camera({ id: 'a', ...detect }), camera({ id: 'plain' })]);
    const bus = new FakeBus();
    const status = new Map<string, InferenceStatus>();
    const statuses = {
      put: async (...records: InferenceStatus[]) => {
        for (const record of records) status.set(record.camera, record);
      },
      delete: async (id: string) => void status.delete(id),
    } as unknown as InferenceStatuses;
    const runtime = { load: async () => undefined } as unknown as ModelRuntime;
    const { followers, shares } = fakeFollowers(registry, config);
    const service = new InferenceService(config, bus.asBus(), runtime, {} as DetectionOutputs, new InferenceMetrics(new MetricsService()), statuses, followers);
    await service.onApplicationBootstrap();
    assert.deepEqual([...bus.channels.keys()], [channels.frames('a', 'raw')]);
    assert.deepEqual([...status.keys()], ['a'], `${keys.inferenceStatus} has the camera`);

    registry.cameras.delete('a');
    await service['follower'].reconcile();
    assert.equal(bus.channels.size, 0);
    assert.equal(status.size, 0);
    assert.deepEqual(shares.get('inference')!.released, ['a']);
    await service.beforeApplicationShutdown();
    assert.deepEqual(shares.get('inference')!.left, []);
  });
});
