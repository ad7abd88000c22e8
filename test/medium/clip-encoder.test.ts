/**
 * Clip encoding through the real ffmpeg: JPEG frames with irregular capture times in, an MP4 out that ffprobe reads
 * back as browser-ready H.264 whose frame timestamps follow the capture times.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { requireExecutable } from '../../scripts/support';
import { EncoderUnavailableError } from '@vigil/media';
import { type ClipFrame, ClipEncodeError, ClipEncoder, probeEncoder } from '../../libs/alarms/src/clips';

const run = promisify(execFile);
const HINT = 'Install ffmpeg (apt-get install ffmpeg).';
const T0 = 1_700_000_000_000;
const ID = '0lq5k3z8w0a1b2c3d4e';

interface Probed {
  codec: string;
  pixFmt: string;
  width: number;
  height: number;
  durationS: number;
  /** presentation times of the video's pictures, seconds, in display order */
  pts: number[];
}

async function probe(path: string): Promise<Probed> {
  const ffprobe = requireExecutable('ffprobe', HINT);
  const { stdout } = await run(ffprobe, [
    '-v', 'error', '-select_streams', 'v:0',
    '-show_entries', 'stream=codec_name,pix_fmt,width,height:format=duration:packet=pts_time', '-of', 'json', path,
  ]);
  const json = JSON.parse(stdout) as {
    streams: { codec_name: string; pix_fmt: string; width: number; height: number }[];
    format: { duration: string };
    packets: { pts_time: string }[];
  };
  const [stream] = json.streams;
  return {
    codec: stream.codec_name,
    pixFmt: stream.pix_fmt,
    width: stream.width,
    height: stream.height,
    durationS: Number(json.format.duration),
    pts: json.packets.map((p) => Number(p.pts_time)).sort((a, b) => a - b),
  };
}

/** The MP4's top-level box types in file order. */
async function topLevelBoxes(path: string): Promise<string[]> {
  const bytes = await readFile(path);
  const boxes: string[] = [];
  for (let offset = 0; offset + 8 <= bytes.length;) {
    let size = bytes.readUInt32BE(offset);
    boxes.push(bytes.toString('latin1', offset + 4, offset + 8));
    if (size === 1) size = Number(bytes.readBigUInt64BE(offset + 8));
    if (size === 0) break; // runs to the end of the file
    assert.ok(size >= 8, `box at ${offset} has size ${size}`);
    offset += size;
  }
  return boxes;
}

/** JPEG pictures of a moving test pattern at the given size. */
async function jpegs(dir: string, name: string, size: string, count: number): Promise<Buffer[]> {
  const ffmpeg = requireExecutable('ffmpeg', HINT);
  await mkdir(join(dir, name));
  await run(ffmpeg, ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=10`, '-frames:v', String(count), '-q:v', '5', join(dir, name, '%03d.jpg')]);
  return Promise.all(Array.from({ length: count }, (_, i) => readFile(join(dir, name, `${String(i + 1).padStart(3, '0')}.jpg`))));
}

describe('ClipEncoder', { timeout: 120_000 }, () => {
  let dir: string;
  let work: string;
  let pictures: Buffer[];
  let encoder: ClipEncoder;
  /** 10 fps with one 300 ms stall after the 15th frame */
  const captured = Array.from({ length: 30 }, (_, i) => T0 + i * 100 + (i >= 15 ? 200 : 0));
  const clipFrames = (): ClipFrame[] => captured.map((ts, i) => ({ seq: 500 + i, ts, width: 320, height: 240, data: pictures[i] }));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-clip-encoder-'));
    work = join(dir, 'work');
    await mkdir(work);
    pictures = await jpegs(dir, 'frames', '320x240', 30);
    encoder = await ClipEncoder.create({ preference: 'x264', tmpDir: work, threads: 1 });
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Nothing but the finished clips in the output directory, and no pictures left in the work directory. */
  async function assertNoLeftovers(out: string, clips: string[]): Promise<void> {
    assert.deepEqual((await readdir(out)).sort(), clips.sort(), 'no partial file in the output directory');
    assert.deepEqual(await readdir(work), [], 'the pictures written for ffmpeg are gone');
  }

  test('encodes browser-ready H.264 (yuv420p, moov before mdat) whose timestamps follow the capture times', async () => {
    const out = await mkdtemp(join(dir, 'out-'));
    const path = join(out, `${ID}.mp4`);
    const clip = await encoder.encode({ id: ID, camera: 'gate', frames: clipFrames(), path });

    const span = captured.at(-1)! - captured[0];
    assert.deepEqual(clip, { bytes: clip.bytes, frames: 30, from: T0, to: T0 + span, durationMs: span + 100, encoder: 'x264' });
    assert.ok(clip.bytes > 1000, `${clip.bytes} bytes`);

    const video = await probe(path);
    assert.deepEqual([video.codec, video.pixFmt, video.width, video.height], ['h264', 'yuv420p', 320, 240]);
    const boxes = await topLevelBoxes(path);
    assert.ok(boxes.indexOf('moov') >= 0 && boxes.indexOf('moov') < boxes.indexOf('mdat'), `faststart: moov first, got ${boxes.join(',')}`);
    assert.ok(Math.abs(video.durationS - (span + 100) / 1000) <= 0.15, `duration ${video.durationS} s, expected ${(span + 100) / 1000} s`);

    // one picture per frame, then the last one held until the clip ends (see buildFfconcat)
    assert.equal(video.pts.length, 31);
    const expected = [...captured.map((ts) => (ts - T0) / 1000), (span + 100) / 1000];
    video.pts.forEach((pts, i) => assert.ok(Math.abs(pts - expected[i]) < 0.002, `picture ${i} at ${pts} s, captured at ${expected[i]} s`));
    assert.ok(video.pts[15] - video.pts[14] > 0.29, 'the stall is still a stall');
    await assertNoLeftovers(out, [`${ID}.mp4`]);
  });

  test('frames in any order are encoded in capture order', async () => {
    const out = await mkdtemp(join(dir, 'out-'));
    const path = join(out, 'shuffled.mp4');
    const frames = clipFrames().slice(0, 10).reverse();
    const clip = await encoder.encode({ id: ID, camera: 'gate', frames, path });
    assert.deepEqual([clip.from, clip.to, clip.frames], [T0, T0 + 900, 10]);
    assert.ok((await probe(path)).pts.every((pts, i, all) => i === 0 || pts > all[i - 1]));
  });

  test('frames of another size (the camera changed resolution) are scaled to the first frame, rounded to even', async () => {
    const odd = await jpegs(dir, 'odd', '321x241', 2);
    const big = await jpegs(dir, 'big', '640x480', 2);
    const frames: ClipFrame[] = [
      { seq: 1, ts: T0, width: 321, height: 241, data: odd[0] },
      { seq: 2, ts: T0 + 100, width: 320, height: 240, data: pictures[0] },
      { seq: 3, ts: T0 + 200, width: 640, height: 480, data: big[0] },
      { seq: 4, ts: T0 + 300, width: 640, height: 480, data: big[1] },
      { seq: 5, ts: T0 + 400, width: 321, height: 241, data: odd[1] },
    ];
    const out = await mkdtemp(join(dir, 'out-'));
    const clip = await encoder.encode({ id: ID, camera: 'gate', frames, path: join(out, 'mixed.mp4') });
    assert.equal(clip.frames, 5);
    const video = await probe(join(out, 'mixed.mp4'));
    assert.deepEqual([video.width, video.height, video.pts.length], [320, 240, 6]);
  });

  test('a single frame makes a short clip', async () => {
    const out = await mkdtemp(join(dir, 'out-'));
    const clip = await encoder.encode({ id: ID, camera: 'gate', frames: clipFrames().slice(0, 1), path: join(out, 'one.mp4') });
    assert.deepEqual([clip.frames, clip.from, clip.to], [1, T0, T0]);
    assert.equal((await probe(join(out, 'one.mp4'))).codec, 'h264');
  });

  test('a corrupt JPEG fails the encode with ffmpeg\'s reason, naming the alarm and camera, and leaves no file', async () => {
    const out = await mkdtemp(join(dir, 'out-'));
    const frames = clipFrames().slice(0, 10);
    // starts like a JPEG, so only the decoder can tell
    frames[5] = { ...frames[5], data: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xdb]), Buffer.alloc(3000, 0x5a)]) };
    await assert.rejects(encoder.encode({ id: ID, camera: 'gate', frames, path: join(out, `${ID}.mp4`) }), (error: unknown) => {
      assert.ok(error instanceof ClipEncodeError, String(error));
      assert.match(error.message, new RegExp(`^clip ${ID} \\(camera gate\\): ffmpeg \\(x264, 10 frames\\) failed, exit code \\d+: .+`));
      return true;
    });
    await assertNoLeftovers(out, []);
  });

  test('bytes that are not a JPEG at all are refused before ffmpeg runs, naming the frame', async () => {
    const out = await mkdtemp(join(dir, 'out-'));
    const frames = clipFrames().slice(0, 5);
    frames[2] = { ...frames[2], data: Buffer.from('not a jpeg') };
    await assert.rejects(encoder.encode({ id: ID, camera: 'gate', frames, path: join(out, 'x.mp4') }), /camera gate\): frame 502 is not a JPEG \(10 bytes\)/);
    await assertNoLeftovers(out, []);
  });

  test('no frames is an error, not an empty file', async () => {
    const out = await mkdtemp(join(dir, 'out-'));
    await assert.rejects(encoder.encode({ id: ID, camera: 'gate', frames: [], path: join(out, 'x.mp4') }), /no frames to encode/);
    await assertNoLeftovers(out, []);
  });

  test('ffmpeg failing to write (the directory is gone) is an error carrying its output', async () => {
    const path = join(dir, 'missing-dir', 'x.mp4');
    await assert.rejects(encoder.encode({ id: ID, camera: 'gate', frames: clipFrames().slice(0, 3), path }), /ffmpeg \(x264, 3 frames\) failed, exit code \d+: .*missing-dir/);
    assert.deepEqual(await readdir(work), []);
  });

  test('an encode aborted by shutdown fails and leaves no file', async () => {
    const out = await mkdtemp(join(dir, 'out-'));
    const signal = AbortSignal.abort();
    await assert.rejects(encoder.encode({ id: ID, camera: 'gate', frames: clipFrames(), path: join(out, 'x.mp4'), signal }), ClipEncodeError);
    await assertNoLeftovers(out, []);
  });

  test('clips asked for together are all encoded (one at a time)', async () => {
    const out = await mkdtemp(join(dir, 'out-'));
    const names = ['a.mp4', 'b.mp4', 'c.mp4'];
    // allSettled: a first failure must not end the test while the other encodes still write
    const outcomes = await Promise.allSettled(names.map((name) => encoder.encode({ id: ID, camera: 'gate', frames: clipFrames().slice(0, 5), path: join(out, name) })));
    assert.deepEqual(outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value.frames : String(outcome.reason))), [5, 5, 5]);
    await assertNoLeftovers(out, names);
  });
});

describe('ClipEncoder start-up', { timeout: 60_000 }, () => {
  test('auto takes NVENC exactly where a real NVENC encode works, else x264', async () => {
    const ffmpeg = requireExecutable('ffmpeg', HINT);
    const nvenc = await probeEncoder(ffmpeg, 'nvenc', 20_000);
    const encoder = await ClipEncoder.create({ preference: 'auto' });
    assert.equal(encoder.encoder, nvenc.ok ? 'nvenc' : 'x264');
    if (!nvenc.ok) assert.match(encoder.reason, /nvenc unavailable: .+/);
  });

  test('NVENC configured where it cannot encode stops the start with ffmpeg\'s reason', async (t) => {
    const ffmpeg = requireExecutable('ffmpeg', HINT);
    if ((await probeEncoder(ffmpeg, 'nvenc', 20_000)).ok) {
      t.skip('this machine has a working NVENC');
      return;
    }
    await assert.rejects(
      ClipEncoder.create({ preference: 'nvenc' }),
      (error: unknown) => error instanceof EncoderUnavailableError && /nvenc is configured but a test encode failed: exit code \d+: .+/.test(error.message),
    );
  });

  test('no ffmpeg stops the start with a clear error', async () => {
    await assert.rejects(
      ClipEncoder.create({ preference: 'x264', ffmpeg: '/nonexistent/ffmpeg' }),
      (error: unknown) => error instanceof EncoderUnavailableError && /x264 is configured but a test encode failed: could not start \/nonexistent\/ffmpeg/.test(error.message),
    );
  });
});
