/**
 * The launch strings buildPipeline writes must parse and run in real GStreamer: a quoting or
 * property-name mistake only shows up there. The appsink (which needs OpenCV to pull from it)
 * is swapped for a multifilesink that keeps the JPEGs, so the tests also see what came out.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cameraConfigSchema, classifySource, type CameraInput } from '@vigil/contracts';
import { buildPipeline, chooseDecoder, jpegSize, quote, type DecoderChoice } from '@vigil/media';

import { splitOutsideQuotes } from '../support/gst-launch';

interface RunResult {
  code: number;
  output: string;
  jpegs: Buffer[];
}

let workDir: string;
let runCount = 0;

/**
 * Runs a built launch line with gst-launch-1.0, the final appsink replaced by a multifilesink
 * with the same sync setting, and `extra` properties added to the first element (num-buffers
 * for sources that would run forever).
 */
async function run(launch: string, extra = ''): Promise<RunResult> {
  const stages = splitOutsideQuotes(launch, '!').map((stage) => stage.trim());
  const sink = stages.pop()!;
  assert.match(sink, /^appsink /);
  const sync = /\bsync=(true|false)\b/.exec(sink)![1];
  const outDir = join(workDir, `out-${++runCount}`);
  await mkdir(outDir);
  stages.push(`multifilesink location=${quote(join(outDir, '%05d.jpg'))} sync=${sync}`);
  if (extra) stages[0] = `${stages[0]} ${extra}`;
  // gst-launch joins its arguments with spaces after escaping spaces outside quotes, so passing
  // each space-free token as its own argument hands gst_parse_launch the text unchanged
  const args = ['-q', ...splitOutsideQuotes(stages.join(' ! '), ' ').filter(Boolean)];
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile('gst-launch-1.0', args, { timeout: 15_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, output: `${stdout}${stderr}` });
    });
  });
  const files = (await readdir(outDir)).sort();
  const jpegs = await Promise.all(files.map((file) => readFile(join(outDir, file))));
  return { code, output, jpegs };
}

function assertRan(result: RunResult, launch: string): void {
  assert.equal(result.code, 0, `gst-launch-1.0 failed on\n${launch}\n${result.output}`);
  assert.ok(result.jpegs.length > 0, `no frames came out of\n${launch}`);
}

const H264 = chooseDecoder('h264', 'cpu', new Set(['avdec_h264']));
const H265 = chooseDecoder('h265', 'cpu', new Set(['avdec_h265']));

function build(url: string, camera: Omit<CameraInput, 'id' | 'url'> = {}, decoder?: DecoderChoice, watchdogMs?: number): string {
  return buildPipeline({ camera: cameraConfigSchema.parse({ id: 'cam', url, ...camera }), source: classifySource(url), decoder, watchdogMs }).launch;
}

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args], { timeout: 30_000 });
}

describe('built pipelines run in GStreamer', () => {
  let mediaDir: string;
  let h264Clip: string;
  let h265Clip: string;
  let sequence: string;

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'vigil-unit-gst-'));
    // spaces, double quotes and "!" in the path: the same quoting must hold for real user paths
    mediaDir = join(workDir, 'my clips "v2" !');
    await mkdir(join(mediaDir, 'frames'), { recursive: true });
    h264Clip = join(mediaDir, 'clip 264.mp4');
    h265Clip = join(mediaDir, 'clip 265.mp4');
    sequence = join(mediaDir, 'frames', '%06d.jpg');
    const source = ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-frames:v', '20', '-pix_fmt', 'yuv420p'];
    ffmpeg([...source, '-c:v', 'libx264', '-preset', 'ultrafast', h264Clip]);
    ffmpeg([...source, '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-tag:v', 'hvc1', h265Clip]);
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25', '-frames:v', '3', '-start_number', '0', sequence]);
  });

  after(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  test('a live test pattern with its watchdog', async () => {
    const launch = build('test://ball', { width: 160, height: 120 }, undefined, 5000);
    assert.match(launch, /watchdog/);
    const result = await run(launch, 'num-buffers=5');
    assertRan(result, launch);
    assert.equal(result.jpegs.length, 5);
    assert.deepEqual(jpegSize(result.jpegs[0]!), { width: 160, height: 120 });
  });

  test('a non-realtime test pattern sized by width alone', async () => {
    const launch = build('test://smpte', { realtime: false, width: 320, fps: 10, jpegQuality: 50 });
    const result = await run(launch, 'num-buffers=3');
    assertRan(result, launch);
    assert.deepEqual(jpegSize(result.jpegs[0]!), { width: 320, height: 180 });
  });

  test('an h264 mp4 file at a path with spaces and quotes, read flat out', async () => {
    const launch = build(h264Clip, { realtime: false }, H264);
    const result = await run(launch);
    assertRan(result, launch);
    assert.equal(result.jpegs.length, 20);
    assert.deepEqual(jpegSize(result.jpegs[0]!), { width: 320, height: 240 });
  });

  test('an h264 file paced in real time (sync=true on the sink)', async () => {
    const launch = build(h264Clip, {}, H264);
    assert.match(launch, /appsink sync=true/);
    const started = Date.now();
    const result = await run(launch);
    assertRan(result, launch);
    // 20 frames at 25 fps span 0.76 s of timestamps; unpaced decoding takes a fraction of that
    assert.ok(Date.now() - started >= 700, `paced playback took only ${Date.now() - started} ms`);
  });

  test('an h265 mp4 file', async () => {
    const launch = build(h265Clip, { realtime: false }, H265);
    const result = await run(launch);
    assertRan(result, launch);
    assert.equal(result.jpegs.length, 20);
  });

  test('an fps cap drops frames and a width scales them with the aspect ratio kept', async () => {
    const launch = build(h264Clip, { realtime: false, fps: 5, width: 160 }, H264);
    const result = await run(launch);
    assertRan(result, launch);
    // 0.8 s of 25 fps video capped at 5 fps
    assert.ok(result.jpegs.length >= 3 && result.jpegs.length <= 5, `${result.jpegs.length} frames`);
    assert.deepEqual(jpegSize(result.jpegs[0]!), { width: 160, height: 120 });
  });

  test('an image sequence at a path with spaces and quotes', async () => {
    const launch = build(sequence, { fps: 50, height: 60 });
    const result = await run(launch, 'num-buffers=4');
    assertRan(result, launch);
    assert.equal(result.jpegs.length, 4);
    assert.deepEqual(jpegSize(result.jpegs[0]!), { width: 80, height: 60 });
  });
});
