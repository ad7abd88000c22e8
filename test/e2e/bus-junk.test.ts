/**
 * Junk on the real Redis channels of a running all-in-one process, as anyone with access to Redis could publish
 * it: malformed envelopes, frames of another camera, broken or oversized JPEGs, detections and alarm events of the
 * wrong shape, violation entries naming no camera. Every consumer (publish, inference, alarms, egress) drops each
 * one and counts it exactly, logs one line per camera per minute, never crashes, and good frames keep flowing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { io, type Socket } from '../support/io';
import { channels, encodeFrame, keys, type Ack, type CameraView, type DetectionsEvent, type FrameEvent } from '@vigil/contracts';
import { startRedisServer, startVigil, waitForLine, type OutputLine, type RedisServerHandle, type VigilHandle } from '../../scripts/support';
import { getJson, metric } from '../support/api';
import { headerOnlyJpeg, testAlarmEvent, testDetections, testFrame } from '../support/bus-fixtures';
import { waitFor } from '../support/wait';

const FRAME_MAX_BYTES = 262_144;
const CONSUMERS = ['publish', 'inference', 'alarms', 'egress'] as const;
/** the logger context each consumer's lines carry */
const CONTEXTS: Record<(typeof CONSUMERS)[number], string> = { publish: 'Fanout', inference: 'Inference', alarms: 'Alarms', egress: 'Egress' };

/** Frame-channel junk each consumer must refuse before using it, by reason. */
function frameJunk(): Record<string, Buffer[]> {
  const frame = (overrides: Parameters<typeof testFrame>[0]) => encodeFrame(testFrame({ camera: 'yard', ts: Date.now(), ...overrides }));
  return {
    envelope: [Buffer.alloc(0), Buffer.from('hello'), Buffer.alloc(64, 0xff), Buffer.from(JSON.stringify({ camera: 'yard', data: 'x' })), ...Array.from({ length: 200 }, (_, i) => Buffer.from(`junk ${i}`))],
    wrong_channel: [frame({ camera: 'gate' }), frame({ stream: 'annotated' }), frame({ camera: 'x\n[Nest] ERROR forged line' })],
    jpeg: [frame({ data: Buffer.from('not a jpeg') }), frame({ data: headerOnlyJpeg(32, 32) }), frame({ data: headerOnlyJpeg(640, 360, false) })],
    too_large: [Buffer.alloc(FRAME_MAX_BYTES + 1, 1), frame({ data: Buffer.concat([headerOnlyJpeg(640, 360).subarray(0, -2), Buffer.alloc(FRAME_MAX_BYTES), Buffer.from([0xff, 0xd9])]) })],
  };
}

/** Detections-channel junk (publish reads it), by reason. */
function eventJunk(): Record<string, string[]> {
  return {
    json: ['{not json', '', '\u0000\u0001'],
    schema: [
      '42',
      'null',
      JSON.stringify([testDetections()]),
      JSON.stringify({ ...testDetections(), seq: 'one' }),
      JSON.stringify({ ...testDetections(), detections: [{ label: 'person', classId: 0, score: 7, box: [0, 0, 1, 1] }] }),
      JSON.stringify({ ...testDetections(), detections: 'everything' }),
    ],
    wrong_channel: [JSON.stringify(testDetections({ camera: 'gate' }))],
    too_large: [JSON.stringify({ ...testDetections(), pad: 'x'.repeat(300_000) })],
  };
}

describe('bad messages on the bus', { timeout: 180_000 }, () => {
  let redis: RedisServerHandle;
  let vigil: VigilHandle;
  let publisher: Redis;
  let viewer: Socket;
  const lines: OutputLine[] = [];
  const frames: FrameEvent[] = [];
  const detections: DetectionsEvent[] = [];

  const count = async (consumer: string, reason: string, camera = 'yard'): Promise<number> =>
    (await metric(vigil.url, 'vigil_bus_bad_messages_total', { consumer, camera, reason })) ?? 0;
  const droppedLines = (context: string, camera = 'yard'): string[] =>
    lines.map((line) => line.text).filter((text) => text.includes(`[${context}]`) && text.includes(`camera ${camera}: dropped a bad message`));

  before(async () => {
    redis = await startRedisServer();
    publisher = new Redis(redis.url);
    vigil = await startVigil({
      redisUrl: redis.url,
      env: { FRAME_MAX_BYTES: String(FRAME_MAX_BYTES) },
      cameras: [
        // every consumer reads the yard's raw frames: inference and alarms (detect), egress (stream: raw), publish (the viewer)
        { id: 'yard', url: 'test://ball', width: 320, height: 180, fps: 10, detect: { detector: 'motion' }, egress: { url: 'rtmp://127.0.0.1:9/live/yard', stream: 'raw' } },
        { id: 'gate', url: 'test://snow', width: 320, height: 180, fps: 10 },
        // noise at full quality: every JPEG is far past FRAME_MAX_BYTES
        { id: 'huge', url: 'test://snow', width: 1280, height: 720, fps: 5, jpegQuality: 100 },
      ],
      onLine: (line) => lines.push(line),
    });
    await waitForLine(vigil.child, /camera yard: detection on/, 30_000);
    viewer = io(vigil.url, { transports: ['websocket'], reconnection: false });
    viewer.on('frame', (frame: FrameEvent) => frames.push(frame));
    viewer.on('detections', (event: DetectionsEvent) => detections.push(event));
    await new Promise<void>((resolve, reject) => viewer.once('connect', resolve).once('connect_error', reject));
    for (const camera of ['yard', 'gate']) assert.deepEqual(await viewer.timeout(10_000).emitWithAck('subscribe', { camera }), { ok: true } satisfies Ack);
    // every consumer has its subscription once each has counted a bad message
    await waitFor(
      'every consumer reading the yard',
      async () => {
        await publisher.publish(channels.frames('yard', 'raw'), 'warm-up');
        for (const consumer of CONSUMERS) if ((await count(consumer, 'envelope')) === 0) return false;
        return true;
      },
      60_000,
      500,
    );
  });

  after(async () => {
    viewer?.close();
    await publisher?.quit();
    await vigil?.stop();
    await redis?.stop();
  });

  test('each consumer drops and counts every bad frame message exactly once, by reason', async () => {
    const junk = frameJunk();
    const expected = new Map<string, number>();
    for (const consumer of CONSUMERS) for (const reason of Object.keys(junk)) expected.set(`${consumer} ${reason}`, (await count(consumer, reason)) + junk[reason]!.length);
    for (const messages of Object.values(junk)) for (const message of messages) await publisher.publish(channels.frames('yard', 'raw'), message);
    // each consumer reads the channel in order: once it counted a marker published last, it has seen all of them
    await publisher.publish(channels.frames('yard', 'raw'), 'marker');
    await waitFor('the marker counted by every consumer', async () => {
      for (const consumer of CONSUMERS) if ((await count(consumer, 'envelope')) < expected.get(`${consumer} envelope`)! + 1) return false;
      return true;
    });
    for (const [key, value] of expected) {
      const [consumer, reason] = key.split(' ') as [string, string];
      assert.equal(await count(consumer, reason), value + (reason === 'envelope' ? 1 : 0), key);
    }
    console.log(`frame junk per consumer: ${JSON.stringify(Object.fromEntries(Object.entries(junk).map(([reason, list]) => [reason, list.length])))}`);
  });

  test('detections and alarm events of the wrong shape never reach a client; good ones do', async () => {
    const junk = eventJunk();
    const before = new Map<string, number>();
    for (const reason of Object.keys(junk)) before.set(reason, await count('publish', reason));
    const received = detections.length;
    for (const messages of Object.values(junk)) for (const message of messages) await publisher.publish(channels.detections('yard'), message);
    for (const message of ['{', JSON.stringify(testAlarmEvent({ id: '../../../etc/passwd' })), JSON.stringify(testAlarmEvent({ camera: 'gate' }))]) {
      await publisher.publish(channels.alarms('yard'), message);
    }
    const good = testDetections({ camera: 'yard', seq: 123_456_789 });
    await publisher.publish(channels.detections('yard'), JSON.stringify(good));
    const arrived = await waitFor('the good event', () => detections.find((event) => event.seq === good.seq));
    assert.deepEqual(arrived, good);
    for (const event of detections.slice(received)) assert.ok(Array.isArray(event.detections) && typeof event.seq === 'number', 'only well-formed events reached the client');
    for (const [reason, list] of Object.entries(junk)) {
      const alarms = reason === 'json' || reason === 'schema' || reason === 'wrong_channel' ? 1 : 0;
      assert.equal(await count('publish', reason), before.get(reason)! + list.length + alarms, reason);
    }
  });

  test('a violation entry naming no valid camera is counted as "unknown", never under its text', async () => {
    for (const camera of ['../../etc', 'a"b}', 'x'.repeat(100)]) await publisher.xadd(keys.violations, '*', 'camera', camera, 'event', '{not json');
    await waitFor('counted as unknown', async () => (await count('alarms', 'json', 'unknown')) === 3);
    const text = await (await fetch(`${vigil.url}/metrics`)).text();
    const labels = new Set([...text.matchAll(/^vigil_bus_bad_messages_total\{[^}]*camera="((?:[^"\\]|\\.)*)"/gm)].map((match) => match[1]));
    assert.deepEqual([...labels].sort(), ['unknown', 'yard'], 'no label carries the text');
  });

  test('one log line per consumer per camera, however many bad messages (all of these came within a minute)', () => {
    for (const consumer of CONSUMERS) assert.equal(droppedLines(CONTEXTS[consumer]).length, 1, `${consumer}: ${droppedLines(CONTEXTS[consumer]).join('\n')}`);
    assert.equal(droppedLines('Alarms', 'unknown').length, 1);
    for (const line of lines) assert.doesNotMatch(line.text, /^\[Nest\] ERROR forged line/, 'no forged log line');
  });

  test('a camera whose frames are all past FRAME_MAX_BYTES ends its capture saying so, and is never shown live', async () => {
    const reason = /camera huge: error \(its JPEG frames \(\d+ bytes, 1280x720\) are larger than FRAME_MAX_BYTES \(262144\): lower its width, height or jpegQuality\)/;
    await waitFor('the reason in the log', () => lines.some((line) => reason.test(line.text)), 60_000);
    const status = (await getJson<CameraView>(`${vigil.url}/api/cameras/huge`)).body.status;
    assert.notEqual(status?.state, 'live');
    assert.equal(lines.some((line) => /camera huge: live/.test(line.text)), false, 'refused frames are not progress');
    assert.equal(frames.some((frame) => frame.camera === 'huge'), false);
  });

  test('good frames of both cameras keep flowing to the viewer and through inference', async () => {
    for (const camera of ['yard', 'gate']) {
      const start = frames.filter((frame) => frame.camera === camera).length;
      await waitFor(`new ${camera} frames`, () => frames.filter((frame) => frame.camera === camera).length >= start + 10);
    }
    const inferred = (await metric(vigil.url, 'vigil_inference_frames_total', { camera: 'yard' })) ?? 0;
    await waitFor('inference goes on', async () => ((await metric(vigil.url, 'vigil_inference_frames_total', { camera: 'yard' })) ?? 0) > inferred + 5);
    assert.equal(vigil.child.running, true, 'the process never exited');
  });
});
