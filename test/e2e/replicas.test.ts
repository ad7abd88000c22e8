/**
 * Replicas share the cameras, as in Kubernetes: two ingest, two inference and two egress processes on one real
 * redis-server (egress pushing to a real RTMP server). The cameras are divided evenly, every camera is captured and detected by exactly one replica, and
 * when a replica is killed (SIGKILL: no goodbye) the survivors take its cameras over; a new replica gets its share.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { channels, keys, type CameraInput, type CameraStatus, type DetectionsEvent, type EgressStatus, type InferenceStatus } from '@vigil/contracts';
import { startRedisServer, startRtmpServer, startVigil, type RedisServerHandle, type RtmpServerHandle, type VigilHandle } from '../../scripts/support';
import { getJson } from '../support/api';
import { FrameTap } from '../support/frame-tap';
import { waitFor } from '../support/wait';

const WHOLE_FRAME = { id: 'all', polygon: [[0, 0], [1, 0], [1, 1], [0, 1]] as [number, number][] };
const IDS = ['dock', 'gate', 'roof', 'yard'];
/** four small moving cameras with intrusion detection, each pushed to `rtmp` */
const cameras = (rtmp: RtmpServerHandle): CameraInput[] =>
  IDS.map((id) => ({
    id,
    url: 'test://ball',
    width: 320,
    height: 180,
    fps: 5,
    detect: { detector: 'motion', zones: [WHOLE_FRAME], rules: [{ id: 'intrusion', kind: 'intrusion', classes: ['motion'], zone: 'all' }] },
    egress: { url: rtmp.url(`live/${id}`), fps: 5, bitrate: 300 },
  }));
// short leases so that a killed replica's cameras move within seconds
const ENV = { LEASE_MS: '3000', WATCHDOG_SECONDS: '5' };

describe('replicas share the cameras', { timeout: 180_000 }, () => {
  let redis: RedisServerHandle;
  let probe: Redis;
  let ingest: VigilHandle[] = [];
  let inference: VigilHandle[] = [];
  let egress: VigilHandle[] = [];
  let rtmp: RtmpServerHandle;

  const start = (app: 'ingest' | 'inference' | 'egress', name: string, list?: CameraInput[]) =>
    startVigil({ app, redisUrl: redis.url, cameras: list, env: { ...ENV, INSTANCE_ID: name } });

  before(async () => {
    redis = await startRedisServer();
    rtmp = await startRtmpServer();
    probe = new Redis(redis.url);
    ingest = [await start('ingest', 'ingest-a', cameras(rtmp)), await start('ingest', 'ingest-b')];
    inference = [await start('inference', 'inference-a'), await start('inference', 'inference-b')];
    egress = [await start('egress', 'egress-a'), await start('egress', 'egress-b')];
  });

  after(async () => {
    for (const handle of [...ingest, ...inference, ...egress]) await handle.stop();
    await probe?.quit();
    await rtmp?.stop();
    await redis?.stop();
  });

  const hash = async <T>(key: string): Promise<T[]> => Object.values(await probe.hgetall(key)).map((json) => JSON.parse(json) as T);
  /** camera -> the replica whose fresh status says it runs it */
  const owners = async (key: string, fresh: (entry: CameraStatus | InferenceStatus) => boolean): Promise<Record<string, string>> => {
    const entries = await hash<CameraStatus | InferenceStatus>(key);
    return Object.fromEntries(entries.filter(fresh).map((entry) => ['id' in entry ? entry.id : entry.camera, entry.owner ?? '(none)']));
  };
  /** camera -> the egress replica whose /api/egress shows it live */
  const pushOwners = async (): Promise<Record<string, string>> => {
    const byCamera: Record<string, string> = {};
    for (const [index, handle] of egress.entries()) {
      if (!handle.child.running) continue;
      const { body } = await getJson<EgressStatus[]>(`${handle.url}/api/egress`);
      for (const status of body) if (status.state === 'live') byCamera[status.camera] = byCamera[status.camera] ? 'twice!' : `egress-${'ab'[index]}`;
    }
    return byCamera;
  };
  const captureOwners = () => owners(keys.cameraStatus, (entry) => (entry as CameraStatus).state === 'live' && Date.now() - entry.updatedAt < 2500);
  const detectionOwners = () => owners(keys.inferenceStatus, (entry) => Date.now() - entry.updatedAt < 2500);
  const shares = (byCamera: Record<string, string>) => {
    const count: Record<string, number> = {};
    for (const owner of Object.values(byCamera)) count[owner] = (count[owner] ?? 0) + 1;
    return count;
  };
  /** Waits until every camera is run, by the replicas and in the shares given. */
  const settled = (what: string, read: () => Promise<Record<string, string>>, expected: Record<string, number>) =>
    waitFor(what, async () => {
      const byCamera = await read();
      return Object.keys(byCamera).sort().join() === IDS.join() && JSON.stringify(sortKeys(shares(byCamera))) === JSON.stringify(sortKeys(expected)) ? byCamera : undefined;
    }, 45_000, 250).catch(async (error: Error) => {
      throw new Error(`${error.message}; now: ${JSON.stringify(await read())}`);
    });

  test('two ingest replicas capture two cameras each', async () => {
    await settled('2 + 2 cameras captured', captureOwners, { 'ingest-a': 2, 'ingest-b': 2 });
    for (const camera of IDS) assert.ok((await probe.get(keys.cameraLease('ingest', camera)))?.startsWith('ingest-'), `${camera} leased`);
  });

  test('two inference replicas detect two cameras each, and each frame is detected once', async () => {
    await settled('2 + 2 cameras detected', detectionOwners, { 'inference-a': 2, 'inference-b': 2 });
    // the bug this guards against: every inference replica detecting every camera, each violation reported twice
    const listener = new Redis(redis.url);
    const seen = new Map<string, number[]>();
    try {
      listener.on('message', (_channel: string, json: string) => {
        const event = JSON.parse(json) as DetectionsEvent;
        seen.set(event.camera, [...(seen.get(event.camera) ?? []), event.seq]);
      });
      await listener.subscribe(...IDS.map((id) => channels.detections(id)));
      await waitFor('10 detections per camera', () => IDS.every((id) => (seen.get(id)?.length ?? 0) >= 10), 30_000);
    } finally {
      await listener.quit();
    }
    for (const [camera, seqs] of seen) assert.equal(new Set(seqs).size, seqs.length, `${camera}: no frame detected twice (${seqs.join(',')})`);
  });

  // two replicas pushing one camera would fight over the same stream at the media server
  test('two egress replicas push two cameras each, none twice', async () => {
    await settled('2 + 2 cameras pushed live', pushOwners, { 'egress-a': 2, 'egress-b': 2 });
  });

  test('a killed egress replica: the other pushes its cameras', async () => {
    await egress[0]!.child.stop('SIGKILL');
    await settled('all 4 pushed by egress-b', pushOwners, { 'egress-b': 4 });
  });

  test('a killed ingest replica: the other takes its cameras over and frames flow again', async () => {
    const before = await captureOwners();
    const lost = IDS.filter((camera) => before[camera] === 'ingest-b');
    await ingest[1]!.child.stop('SIGKILL');
    await settled('all 4 captured by ingest-a', captureOwners, { 'ingest-a': 4 });
    const tap = await FrameTap.open(redis.url, lost[0]!);
    try {
      await tap.next(3, 20_000);
    } finally {
      await tap.close();
    }
  });

  test('a killed inference replica: the other takes its cameras over', async () => {
    await inference[0]!.child.stop('SIGKILL');
    await settled('all 4 detected by inference-b', detectionOwners, { 'inference-b': 4 });
  });

  test('a new ingest replica gets its share back', async () => {
    ingest.push(await start('ingest', 'ingest-c'));
    await settled('2 + 2 cameras captured again', captureOwners, { 'ingest-a': 2, 'ingest-c': 2 });
  });
});

function sortKeys(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
