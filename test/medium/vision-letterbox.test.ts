/**
 * Letterboxing through the real OpenCV addon: where pixels land, what the padding holds, batches written into one
 * reused buffer, and how long a 1080p frame takes.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { Mat } from '@u4/opencv4nodejs';
import { requireExecutable } from '../../scripts/support';
import { toFrameBox } from '../../libs/detect/src/yolo/letterbox';
import { DecodedFrame, decodeForInput, decodeJpeg, jpegReductionFor, letterbox, letterboxBatch, letterboxInto, LETTERBOX_PAD, opencv } from '../../libs/detect/src/vision';

const run = promisify(execFile);
const PAD = LETTERBOX_PAD / 255;

/** A black BGR image with one coloured block (BGR), built in memory so every pixel is known exactly. */
function imageWithBlock(width: number, height: number, block: { x: number; y: number; size: number; bgr: [number, number, number] }): Mat {
  const cv = opencv();
  const image = new cv.Mat(height, width, cv.CV_8UC3, [0, 0, 0]);
  image.drawRectangle(
    new cv.Point2(block.x, block.y),
    new cv.Point2(block.x + block.size - 1, block.y + block.size - 1),
    new cv.Vec3(...block.bgr),
    cv.FILLED,
  );
  return image;
}

/** The RGB value at (x, y) of image `index` in an NCHW tensor of `width` x `height`. */
function rgbAt(data: Float32Array, width: number, height: number, x: number, y: number, index = 0): [number, number, number] {
  const plane = width * height;
  const base = index * 3 * plane + y * width + x;
  return [data[base]!, data[base + plane]!, data[base + 2 * plane]!];
}

function assertClose(actual: readonly number[], expected: readonly number[], tolerance: number, what: string): void {
  actual.forEach((value, i) => assert.ok(Math.abs(value - expected[i]!) <= tolerance, `${what}: got [${actual.join(', ')}], expected [${expected.join(', ')}]`));
}

/** Checks every value of rows [from, to) in all three planes is the padding grey. */
function assertPaddingRows(data: Float32Array, size: number, from: number, to: number): void {
  for (let channel = 0; channel < 3; channel++) {
    for (let y = from; y < to; y++) {
      for (let x = 0; x < size; x++) {
        const value = data[channel * size * size + y * size + x]!;
        if (Math.abs(value - PAD) > 1e-6) assert.fail(`channel ${channel} (${x}, ${y}) is ${value}, not the padding ${PAD}`);
      }
    }
  }
}

describe('letterbox', { timeout: 60_000 }, () => {
  let dir: string;
  let squareJpeg: Buffer;
  let hdJpeg: Buffer;
  let hdSquareJpeg: Buffer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-vision-letterbox-'));
    const ffmpeg = requireExecutable('ffmpeg', 'Install ffmpeg (apt-get install ffmpeg).');
    await run(ffmpeg, [
      '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'color=black:s=640x360',
      '-vf', 'drawbox=x=40:y=100:w=60:h=60:color=white:t=fill', '-frames:v', '1', '-q:v', '2', join(dir, 'square.jpg'),
    ]);
    await run(ffmpeg, ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080', '-frames:v', '1', '-q:v', '3', join(dir, 'hd.jpg')]);
    await run(ffmpeg, [
      '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'color=black:s=1920x1080',
      '-vf', 'drawbox=x=960:y=540:w=192:h=108:color=white:t=fill', '-frames:v', '1', '-q:v', '2', join(dir, 'hd-square.jpg'),
    ]);
    squareJpeg = await readFile(join(dir, 'square.jpg'));
    hdJpeg = await readFile(join(dir, 'hd.jpg'));
    hdSquareJpeg = await readFile(join(dir, 'hd-square.jpg'));
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('a 16:9 frame is scaled to fit, centred, padded above and below with 114 grey', async () => {
    // a pure red block at (400, 300) of a 1280x720 frame: half size, 140 rows of padding on top
    const image = imageWithBlock(1280, 720, { x: 400, y: 300, size: 20, bgr: [0, 0, 255] });
    const { data, geometry } = await letterbox(image, 640);
    assert.equal(data.length, 3 * 640 * 640);
    assert.deepEqual(geometry, { scale: 0.5, padX: 0, padY: 140, newW: 640, newH: 360 });
    assertClose(rgbAt(data, 640, 640, 205, 295), [1, 0, 0], 1e-6, 'inside the block, RGB order');
    assertClose(rgbAt(data, 640, 640, 100, 200), [0, 0, 0], 1e-6, 'black stays black');
    assertPaddingRows(data, 640, 0, 140);
    assertPaddingRows(data, 640, 500, 640);
    assertClose(rgbAt(data, 640, 640, 0, 140), [0, 0, 0], 1e-6, 'first image row');
    assertClose(rgbAt(data, 640, 640, 639, 499), [0, 0, 0], 1e-6, 'last image row');
  });

  test('an odd padding puts the extra row at the bottom, as Ultralytics does', async () => {
    const image = imageWithBlock(640, 361, { x: 0, y: 0, size: 10, bgr: [255, 0, 0] });
    const { data, geometry } = await letterbox(image, 640);
    assert.equal(geometry.padY, 139);
    assertPaddingRows(data, 640, 0, 139);
    assertClose(rgbAt(data, 640, 640, 5, 144), [0, 0, 1], 1e-6, 'the blue block starts at row 139');
    assertClose(rgbAt(data, 640, 640, 5, 499), [0, 0, 0], 1e-6, 'last image row');
    assertPaddingRows(data, 640, 500, 640);
  });

  test('a portrait frame is padded left and right', async () => {
    const image = imageWithBlock(360, 640, { x: 0, y: 0, size: 20, bgr: [0, 255, 0] });
    const { data, geometry } = await letterbox(image, 640);
    assert.deepEqual(geometry, { scale: 1, padX: 140, padY: 0, newW: 360, newH: 640 });
    assertClose(rgbAt(data, 640, 640, 139, 10), [PAD, PAD, PAD], 1e-6, 'left padding');
    assertClose(rgbAt(data, 640, 640, 150, 10), [0, 1, 0], 1e-6, 'the green block, moved right by the padding');
    assertClose(rgbAt(data, 640, 640, 500, 10), [PAD, PAD, PAD], 1e-6, 'right padding');
  });

  test('a decoded JPEG lands where its boxes map back from (toFrameBox)', async () => {
    const frame = await decodeJpeg(squareJpeg);
    const { data, geometry } = await letterbox(frame, { width: 640, height: 384 });
    assert.deepEqual(geometry, { scale: 1, padX: 0, padY: 12, newW: 640, newH: 360 });
    assertClose(rgbAt(data, 640, 384, 70, 130 + 12), [1, 1, 1], 0.03, 'the white square, 12 rows down');
    assertClose(rgbAt(data, 640, 384, 300, 250), [0, 0, 0], 0.03, 'the black scene');
    // the square's corners in the model's input map back to its place in the frame
    assertClose(toFrameBox([40, 112, 100, 172], geometry, 640, 360), [40 / 640, 100 / 360, 100 / 640, 160 / 360], 1e-9, 'mapped back');
  });

  test('a batch fills one [B, 3, S, S] buffer, the same as one at a time, and a reused buffer keeps nothing of the last batch', async () => {
    const a = imageWithBlock(1280, 720, { x: 100, y: 100, size: 40, bgr: [0, 0, 255] });
    const b = imageWithBlock(720, 1280, { x: 300, y: 600, size: 40, bgr: [255, 255, 0] });
    const alone = await Promise.all([letterbox(a, 320), letterbox(b, 320)]);
    const buffer = new Float32Array(4 * 3 * 320 * 320);
    const first = await letterboxBatch([a, b], 320, buffer);
    assert.equal(first.data.length, 2 * 3 * 320 * 320, 'a view of the first two slots');
    assert.equal(first.data.buffer, buffer.buffer);
    assert.deepEqual([first.batch, first.height, first.width], [2, 320, 320]);
    assert.deepEqual(first.geometries, [alone[0]!.geometry, alone[1]!.geometry]);
    assert.deepEqual(first.data.subarray(0, 3 * 320 * 320), alone[0]!.data);
    assert.deepEqual(first.data.subarray(3 * 320 * 320), alone[1]!.data);

    // the same buffer, the images swapped: slot 0 must hold b only, with nothing left of a
    const second = await letterboxBatch([b, a], 320, buffer);
    assert.deepEqual(second.data.subarray(0, 3 * 320 * 320), alone[1]!.data);
    assert.deepEqual(second.data.subarray(3 * 320 * 320), alone[0]!.data);
  });

  test('a frame is decoded as small as libjpeg can while the letterbox still only shrinks it', () => {
    assert.equal(jpegReductionFor(1920, 1080, 640), 2, '1080p: 960x540, scaled down to 640x360');
    assert.equal(jpegReductionFor(1280, 720, 640), 2, '720p: 640x360, exactly the letterboxed size');
    assert.equal(jpegReductionFor(3840, 2160, 640), 4, '4K: 960x540');
    assert.equal(jpegReductionFor(1080, 1920, 640), 2, 'portrait 1080p: 540x960');
    assert.equal(jpegReductionFor(1270, 700, 640), 1, 'just short of twice the input: 635x350 at 1/2 would be enlarged');
    assert.equal(jpegReductionFor(640, 360, 640), 1, 'no larger than the input: full size');
    assert.equal(jpegReductionFor(7680, 4320, { width: 640, height: 384 }), 8, 'libjpeg scales by 8 at most');
  });

  test('boxes found in a reduced decode map back to where the object is in the full frame', async () => {
    // the white square covers x 0.5..0.6, y 0.5..0.6 of the 1920x1080 frame
    const frame = new DecodedFrame({ data: hdSquareJpeg, width: 1920, height: 1080 });
    try {
      const image = await decodeForInput(frame, 640);
      assert.deepEqual([image.cols, image.rows], [960, 540], 'decoded at half size');
      assert.equal(frame.decoded, undefined, 'no full-size decode was made');
      const { data, geometry } = await letterbox(image, 640);
      let [x1, y1, x2, y2] = [640, 640, 0, 0];
      for (let y = 0; y < 640; y++) {
        for (let x = 0; x < 640; x++) {
          if (data[y * 640 + x]! < 0.5) continue;
          [x1, y1, x2, y2] = [Math.min(x1, x), Math.min(y1, y), Math.max(x2, x + 1), Math.max(y2, y + 1)];
        }
      }
      // the detector is given the letterboxed image's size, as DetectionStages does
      assertClose(toFrameBox([x1, y1, x2, y2], geometry, image.cols, image.rows), [0.5, 0.5, 0.6, 0.6], 2 / 640, 'the square, normalised');
    } finally {
      frame.release();
    }
  });

  test('a frame that is decoded at full size for another step is letterboxed from that decode, not decoded again', async () => {
    const frame = new DecodedFrame({ data: hdSquareJpeg, width: 1920, height: 1080 });
    try {
      const full = frame.bgr();
      const image = await decodeForInput(frame, 640);
      assert.equal(image, await full, 'the one full-size Mat');
      assert.deepEqual([image.cols, image.rows], [1920, 1080]);
    } finally {
      frame.release();
    }
  });

  test('OpenCV is loaded with its external memory tracking off (on Node 20 it aborts the process in GC)', () => {
    // with it on, 400 rounds of convertToAsync + splitChannelsAsync on a 640x640 image died with
    // "Check failed: marking_done_" (UrielCh/opencv4nodejs#148)
    assert.equal(opencv().isCustomMatAllocatorEnabled(), false);
  });

  test('refuses what it cannot letterbox, saying why', async () => {
    const cv = opencv();
    await assert.rejects(letterbox(new cv.Mat(10, 10, cv.CV_8UC1, 0), 640), /8-bit BGR image.*1 channel/);
    const image = imageWithBlock(64, 64, { x: 0, y: 0, size: 8, bgr: [1, 2, 3] });
    await assert.rejects(letterboxBatch([image, image], 64, new Float32Array(3 * 64 * 64)), RangeError);
    await assert.rejects(letterbox(image, 0), RangeError);
  });

  test('a 1080p JPEG decodes and letterboxes to 640 in a few milliseconds, off the event loop', async (t) => {
    const samples = { decode: [] as number[], letterbox: [] as number[] };
    const tensor = new Float32Array(3 * 640 * 640);
    // the event loop must keep turning while the work runs on the thread pool
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    try {
      for (let i = 0; i < 25; i++) {
        let start = performance.now();
        const frame = await decodeJpeg(hdJpeg);
        samples.decode.push(performance.now() - start);
        start = performance.now();
        const geometry = await letterboxInto(frame, 640, tensor);
        samples.letterbox.push(performance.now() - start);
        assert.equal(geometry.padY, 140);
        frame.release();
      }
    } finally {
      clearInterval(ticker);
    }
    const median = (values: number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
    t.diagnostic(`1080p: decode median ${median(samples.decode).toFixed(2)} ms, letterbox to 640 median ${median(samples.letterbox).toFixed(2)} ms`);
    // had decoding or letterboxing run on this thread, no timer could have fired until the loop ended
    assert.ok(ticks >= 10, `timers fired ${ticks} times while 25 frames were processed`);
    assertClose(rgbAt(tensor, 640, 640, 320, 100), [PAD, PAD, PAD], 1e-6, 'padding of the last frame');
  });
});
