/**
 * Frames for the annotated stream (boxes and labels drawn, JPEG out) and the shared decode they start from, through
 * the real OpenCV addon on a JPEG made by ffmpeg.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { Mat } from '@u4/opencv4nodejs';
import type { Detection } from '@vigil/contracts';
import { requireExecutable } from '../../scripts/support';
import { annotate, annotateFrame, classColour, DecodedFrame, decodeForInput, decodeJpeg, drawDetections, FrameDecodeError, labelTab, opencv } from '../../libs/detect/src/vision';

const run = promisify(execFile);

/** Sum over B, G, R of the absolute difference at (x, y). */
function difference(a: Mat, b: Mat, x: number, y: number): number {
  const p = a.at(y, x) as unknown as { x: number; y: number; z: number };
  const q = b.at(y, x) as unknown as { x: number; y: number; z: number };
  return Math.abs(p.x - q.x) + Math.abs(p.y - q.y) + Math.abs(p.z - q.z);
}

describe('annotated frames', { timeout: 60_000 }, () => {
  let dir: string;
  let jpeg: Buffer;
  // the white square of the frame (40..99, 100..159) with a margin: left 30, top 90, right 110, bottom 170
  const square: Detection = { label: 'motion', classId: 0, score: 0.87, box: [30 / 640, 90 / 360, 110 / 640, 170 / 360] };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-vision-annotate-'));
    const ffmpeg = requireExecutable('ffmpeg', 'Install ffmpeg (apt-get install ffmpeg).');
    await run(ffmpeg, [
      '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'color=black:s=640x360',
      '-vf', 'drawbox=x=40:y=100:w=60:h=60:color=white:t=fill', '-frames:v', '1', '-q:v', '2', join(dir, 'square.jpg'),
    ]);
    jpeg = await readFile(join(dir, 'square.jpg'));
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('draws the box and its label on a JPEG of the frame size, and nothing elsewhere', async () => {
    const frame = await decodeJpeg(jpeg);
    const out = await annotate(frame, [square]);
    assert.deepEqual([...out.subarray(0, 2)], [0xff, 0xd8], 'starts like a JPEG');
    assert.deepEqual([...out.subarray(-2)], [0xff, 0xd9], 'ends like a JPEG');
    const drawn = await decodeJpeg(out);
    assert.deepEqual([drawn.cols, drawn.rows], [640, 360]);
    assert.ok(difference(drawn, frame, 30, 130) > 150, 'the left edge of the box is drawn');
    assert.ok(difference(drawn, frame, 70, 170) > 150, 'the bottom edge of the box is drawn');
    assert.ok(difference(drawn, frame, 40, 85) > 150, 'the label tab sits above the box');
    assert.ok(difference(drawn, frame, 70, 130) < 30, 'inside the box the frame shows through');
    assert.ok(difference(drawn, frame, 500, 300) < 30, 'far from the box nothing changed');
  });

  test('leaves the frame it was given untouched (it may be shared with the detector)', async () => {
    const frame = await decodeJpeg(jpeg);
    const pristine = await decodeJpeg(jpeg);
    await annotate(frame, [square]);
    assert.equal(difference(frame, pristine, 30, 130), 0);
    assert.equal(difference(frame, pristine, 40, 85), 0);
  });

  test('a label at the top edge goes inside the box, where it can be read', async () => {
    const frame = await decodeJpeg(jpeg);
    const atTop: Detection = { ...square, box: [300 / 640, 0, 400 / 640, 100 / 360] };
    const drawn = await decodeJpeg(await annotate(frame, [atTop]));
    assert.ok(difference(drawn, frame, 310, 8) > 150, 'the tab is drawn just inside the top edge');
  });

  test('a label at the right edge of a 640x360 frame is drawn whole, moved left into the frame', async () => {
    const cv = opencv();
    const grey = new cv.Vec3(128, 128, 128);
    /** pixels the label changed: every row above the box and its 2 px outline */
    const labelPixels = async (box: Detection['box']): Promise<number> => {
      const canvas = new cv.Mat(360, 640, cv.CV_8UC3, [128, 128, 128]);
      await drawDetections(canvas, [{ label: 'person', classId: 0, score: 0.9, box }], 2);
      const above = canvas.getRegion(new cv.Rect(0, 0, 640, Math.round(box[1] * 360) - 2));
      const changed = above.absdiff(new cv.Mat(above.rows, above.cols, cv.CV_8UC3, [grey.x, grey.y, grey.z])).cvtColor(cv.COLOR_BGR2GRAY).threshold(0, 255, cv.THRESH_BINARY);
      return changed.countNonZero();
    };
    const inTheMiddle = await labelPixels([0.45, 0.5, 0.55, 0.6]);
    const atTheRightEdge = await labelPixels([0.95, 0.5, 1, 0.6]);
    assert.ok(inTheMiddle > 500, `the label is drawn (${inTheMiddle} px)`);
    assert.equal(atTheRightEdge, inTheMiddle, 'as many label pixels at the edge as in the middle: none cut off');
  });

  test('a label tab keeps inside the frame on every side', () => {
    assert.deepEqual(labelTab(100, 50, 80, 15, 640, 360), { left: 100, top: 35, bottom: 50 }, 'above the box when there is room');
    assert.deepEqual(labelTab(100, 5, 80, 15, 640, 360), { left: 100, top: 5, bottom: 20 }, 'inside the box at the top edge');
    assert.deepEqual(labelTab(600, 50, 80, 15, 640, 360), { left: 559, top: 35, bottom: 50 }, 'moved left at the right edge');
    assert.deepEqual(labelTab(600, 355, 80, 15, 640, 360), { left: 559, top: 340, bottom: 355 }, 'above a box at the bottom edge');
    assert.deepEqual(labelTab(0, 0, 700, 400, 640, 360), { left: 0, top: 0, bottom: 400 }, 'a frame smaller than the tab: from the corner');
  });

  test('with no detections the frame is passed on as it came, neither decoded nor encoded', async () => {
    const frame = new DecodedFrame({ data: jpeg, camera: 'gate', width: 640, height: 360 });
    const out = await annotateFrame(frame, []);
    assert.equal(out, jpeg, 'the very same bytes');
    assert.equal(frame.decoded, undefined, 'nothing was decoded');
    const annotated = await annotateFrame(frame, [square]);
    assert.notDeepEqual(annotated, jpeg);
    assert.ok(frame.decoded, 'annotating decoded the frame once, for the later steps to share');
  });

  test('rejects a JPEG quality out of range', async () => {
    await assert.rejects(annotate(await decodeJpeg(jpeg), [square], { quality: 0 }), /quality must be 1-100/);
  });

  test('a class keeps its colour, whatever its id', () => {
    assert.deepEqual(classColour('person'), classColour('person'));
    assert.deepEqual(classColour('person'), { r: 0x1a, g: 0x93, b: 0x34 });
    assert.notDeepEqual(classColour('helmet'), classColour('no_helmet'));
  });
});

describe('DecodedFrame', () => {
  let jpeg: Buffer;

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-vision-decode-'));
    const ffmpeg = requireExecutable('ffmpeg', 'Install ffmpeg (apt-get install ffmpeg).');
    await run(ffmpeg, ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'color=red:s=320x240', '-frames:v', '1', join(dir, 'red.jpg')]);
    jpeg = await readFile(join(dir, 'red.jpg'));
    await rm(dir, { recursive: true, force: true });
  });

  test('decodes once, however many steps ask at the same time', async () => {
    const frame = new DecodedFrame({ data: jpeg });
    assert.equal(frame.decoded, undefined);
    const [a, b] = await Promise.all([frame.bgr(), frame.bgr()]);
    assert.equal(a, b);
    assert.equal(await frame.bgr(), a);
    assert.deepEqual([frame.width, frame.height, a.channels], [320, 240, 3]);
  });

  test('release() frees the pixels; a later step decodes again', async () => {
    const frame = new DecodedFrame({ data: jpeg });
    const first = await frame.bgr();
    frame.release();
    assert.equal(frame.decoded, undefined);
    assert.ok(first.empty, 'the Mat was released');
    const again = await frame.bgr();
    assert.ok(!again.empty);
  });

  test('decodes at a reduced size on request; a full-size decode, done or under way, answers every size', async () => {
    const frame = new DecodedFrame({ data: jpeg, width: 320, height: 240 });
    const half = await frame.bgr(2);
    assert.deepEqual([half.cols, half.rows], [160, 120]);
    assert.equal(await frame.bgr(2), half, 'decoded once per size');
    assert.equal(frame.decoded, undefined, 'a reduced decode is not the full-size one');
    assert.deepEqual([frame.width, frame.height], [320, 240], 'the size is still the full size');
    const full = frame.bgr();
    assert.equal(frame.bgr(4), full, 'with a full-size decode under way, a smaller size waits for it instead of decoding');
    assert.deepEqual([(await full).cols, (await full).rows], [320, 240]);
    frame.release();
    assert.ok(half.empty && (await full).empty, 'release() frees every size');
  });

  test('bytes that are no JPEG fail with FrameDecodeError naming the camera', async () => {
    const frame = new DecodedFrame({ data: Buffer.from('this is not a jpeg'), camera: 'dock-2' });
    await assert.rejects(frame.bgr(), (error: Error) => error instanceof FrameDecodeError && /camera dock-2: 18 bytes/.test(error.message));
    await assert.rejects(frame.bgr(), FrameDecodeError, 'a later call tries again and fails the same way');
  });
});
