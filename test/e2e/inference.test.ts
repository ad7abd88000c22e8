/**
 * Inference end to end, in the all-in-one process with a real redis-server: the motion detector
 * and an intrusion zone on a moving test pattern, a generated ONNX model behind the motion gate
 * (a still scene runs no inference, a moving one does), detections and annotated frames to a
 * socket.io-client, violations in the durable stream, inference counters in the API.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { io, type Socket } from '../support/io';
import { keys, type Ack, type CameraView, type DetectionsEvent, type FrameEvent, type ViolationEvent } from '@vigil/contracts';
import { startRedisServer, startVigil, type RedisServerHandle, type VigilHandle } from '../../scripts/support';
import { getJson } from '../support/api';
import { writeTestModels } from '../support/onnx-models';
import { waitFor } from '../support/wait';

const WHOLE_FRAME = { id: 'all', polygon: [[0, 0], [1, 0], [1, 1], [0, 1]] as [number, number][] };

describe('inference end to end', { timeout: 120_000 }, () => {
  let redis: RedisServerHandle;
  let vigil: VigilHandle;
  let probe: Redis;
  let socket: Socket;
  const detections: DetectionsEvent[] = [];
  const frames: FrameEvent[] = [];

  before(async () => {
    const models = await writeTestModels(mkdtempSync(join(tmpdir(), 'vigil-models-')));
    redis = await startRedisServer();
    probe = new Redis(redis.url);
    const small = { width: 320, height: 240, fps: 10 };
    vigil = await startVigil({
      redisUrl: redis.url,
      env: { MODEL_PATH: models.v8 },
      cameras: [
        { id: 'yard', url: 'test://ball', ...small, detect: { detector: 'motion', zones: [WHOLE_FRAME], rules: [{ id: 'intrusion', kind: 'intrusion', classes: ['motion'], zone: 'all' }] } },
        { id: 'still', url: 'test://pinwheel', ...small, detect: { detector: 'model', motionGate: true } },
        { id: 'moving', url: 'test://ball', ...small, detect: { detector: 'model', motionGate: true } },
      ],
    });
    socket = io(vigil.url, { transports: ['websocket'], reconnection: false });
    socket.on('detections', (event: DetectionsEvent) => detections.push(event));
    socket.on('frame', (event: FrameEvent) => frames.push(event));
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('connect_error', reject));
  });

  after(async () => {
    socket?.disconnect();
    await probe?.quit();
    await vigil?.stop();
    await redis?.stop();
  });

  const subscribe = (body: object): Promise<Ack> => socket.timeout(10_000).emitWithAck('subscribe', body as never);

  test('the model loaded at start and its choice of provider is logged', () => {
    const log = vigil.child.lastLines().map((line) => line.text).join('\n');
    assert.match(log, /model v8: YOLOv8\/11 output .*3 classes.*provider CPU/);
  });

  test('motion boxes on a moving pattern reach the client as detections events, and they move', async () => {
    assert.deepEqual(await subscribe({ camera: 'yard' }), { ok: true });
    const events = await waitFor('motion detections', () => {
      const withBoxes = detections.filter((event) => event.camera === 'yard' && event.detections.length > 0);
      return withBoxes.length >= 5 ? withBoxes : undefined;
    });
    for (const event of events) {
      assert.equal(event.detector, 'motion');
      for (const detection of event.detections) {
        assert.equal(detection.label, 'motion');
        assert.ok(detection.box.every((v) => v >= 0 && v <= 1), 'normalised');
        assert.ok(detection.box[2] > detection.box[0] && detection.box[3] > detection.box[1]);
      }
    }
    const centres = events.map((event) => JSON.stringify(event.detections.map((d) => d.box.map((v) => v.toFixed(2)))));
    assert.ok(new Set(centres).size > 1, 'the boxes follow the motion');
  });

  test('annotated frames are a stream of their own', async () => {
    assert.deepEqual(await subscribe({ camera: 'yard', stream: 'annotated' }), { ok: true });
    const annotated = await waitFor('annotated frames', () => {
      const found = frames.filter((frame) => frame.camera === 'yard' && frame.stream === 'annotated');
      return found.length >= 2 ? found : undefined;
    });
    assert.deepEqual([annotated[0]!.width, annotated[0]!.height], [320, 240]);
    assert.deepEqual([...(annotated[0]!.data as Buffer).subarray(0, 2)], [0xff, 0xd8]);
  });

  test('the intrusion rule writes violations to the durable stream', async () => {
    const entries = await waitFor('violations', async () => {
      const found = (await probe.xrange(keys.violations, '-', '+')) as [string, string[]][];
      return found.length > 0 ? found : undefined;
    });
    const fields = entries[0]![1];
    const event = JSON.parse(fields[fields.indexOf('event') + 1]!) as ViolationEvent;
    assert.equal(event.camera, 'yard');
    assert.equal(event.rule, 'intrusion');
    assert.ok(event.detections.length > 0);
  });

  test('a still scene runs no inference; a moving one runs the model', async () => {
    const inference = async (id: string) => (await getJson<CameraView>(`${vigil.url}/api/cameras/${id}`)).body.inference;
    const still = await waitFor('still camera gated', async () => {
      const status = await inference('still');
      return status && status.gated >= 10 ? status : undefined;
    });
    assert.equal(still.inferred, 0, 'the model never ran on the still scene');
    assert.deepEqual(await subscribe({ camera: 'still', stream: 'annotated' }), { ok: true });
    await waitFor('annotated frames of the still scene', () => frames.some((frame) => frame.camera === 'still' && frame.stream === 'annotated'));
    const moving = await waitFor('moving camera inferred', async () => {
      const status = await inference('moving');
      return status && status.inferred >= 3 ? status : undefined;
    });
    assert.equal(moving.detector, 'v8');
    assert.ok(moving.skipped >= 0);
  });
});
