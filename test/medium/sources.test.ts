/**
 * Every source kind through real GStreamer into the real redis-server: files (H.264, H.265,
 * looped, read flat out), an image sequence, a test pattern, HTTP MJPEG; plus the per-camera
 * options (output size, frame-rate cap, JPEG quality).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateClip, generateImageSequence, startRedisServer, startVigil, type RedisServerHandle, type VigilHandle } from '../../scripts/support';
import { FrameTap } from '../support/frame-tap';
import { startMjpegServer, type MjpegServer } from '../support/mjpeg-server';

describe('source kinds and per-camera options', { timeout: 120_000 }, () => {
  let redis: RedisServerHandle;
  let vigil: VigilHandle;
  let mjpeg: MjpegServer;
  const taps: FrameTap[] = [];
  const tap = async (camera: string): Promise<FrameTap> => {
    const opened = await FrameTap.open(redis.url, camera);
    taps.push(opened);
    return opened;
  };

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-sources-'));
    const [h264, h265, sequence] = await Promise.all([
      generateClip({ path: join(dir, 'clip264.mp4'), width: 640, height: 360, fps: 25, seconds: 1, codec: 'h264' }),
      generateClip({ path: join(dir, 'clip265.mp4'), width: 320, height: 240, fps: 25, seconds: 1, codec: 'h265' }),
      generateImageSequence({ dir: join(dir, 'frames'), width: 352, height: 288, count: 10 }),
    ]);
    const jpegs = readdirSync(dirname(sequence)).sort().map((name) => readFileSync(join(dirname(sequence), name)));
    mjpeg = await startMjpegServer(jpegs);
    const mjpegUrl = mjpeg.url('good');
    redis = await startRedisServer();
    vigil = await startVigil({
      app: 'ingest',
      redisUrl: redis.url,
      // file sources are read only inside the media roots: this test's clips are its own temporary folder
      env: { MEDIA_ROOTS: dir },
      cameras: [
        { id: 'file264', url: h264 },
        { id: 'file265', url: `file://${h265}`, realtime: false },
        { id: 'sequence', url: sequence, fps: 10 },
        { id: 'pattern', url: 'test://smpte', width: 320, height: 180, fps: 10 },
        { id: 'mjpeg', url: mjpegUrl },
        { id: 'scaled', url: h264, width: 320 },
        { id: 'lowq', url: 'test://snow', width: 320, height: 240, jpegQuality: 10 },
        { id: 'highq', url: 'test://snow', width: 320, height: 240, jpegQuality: 95 },
      ],
    });
  });

  after(async () => {
    for (const t of taps) await t.close();
    await vigil?.stop();
    await redis?.stop();
    mjpeg?.close();
  });

  const sizeOf = async (camera: string): Promise<[number, number]> => {
    const [frame] = await (await tap(camera)).next(1);
    return [frame!.width, frame!.height];
  };

  test('an H.264 file is decoded at its own size', async () => {
    assert.deepEqual(await sizeOf('file264'), [640, 360]);
  });

  test('an H.265 file (file:// URL) is decoded', async () => {
    assert.deepEqual(await sizeOf('file265'), [320, 240]);
  });

  test('a file loops: more frames than the 25-frame clip holds, seq keeps rising', async () => {
    const frames = await (await tap('file265')).next(60, 30_000);
    const seqs = frames.map((frame) => frame.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    assert.equal(new Set(seqs).size, seqs.length);
  });

  test('an image sequence is read as a camera', async () => {
    assert.deepEqual(await sizeOf('sequence'), [352, 288]);
  });

  test('a test pattern takes the requested size', async () => {
    assert.deepEqual(await sizeOf('pattern'), [320, 180]);
  });

  test('an HTTP MJPEG stream is read', async () => {
    assert.deepEqual(await sizeOf('mjpeg'), [352, 288]);
  });

  test('width alone scales and keeps the aspect ratio', async () => {
    assert.deepEqual(await sizeOf('scaled'), [320, 180]);
  });

  test('jpegQuality reaches the encoder: quality 10 gives smaller frames than 95', async () => {
    const mean = async (camera: string): Promise<number> => {
      const frames = await (await tap(camera)).next(5);
      return frames.reduce((sum, frame) => sum + frame.data.length, 0) / frames.length;
    };
    const [low, high] = await Promise.all([mean('lowq'), mean('highq')]);
    assert.ok(low * 2 < high, `quality 10 mean ${low} B vs quality 95 mean ${high} B`);
  });
});
