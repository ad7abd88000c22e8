/**
 * The built-in motion detector on real JPEG frames made by ffmpeg: a white square crossing a black scene, a still
 * scene with sensor noise, a lighting jump, a square that stands in view while the background forms and then
 * leaves (the running average's "ghost"), a slow low-contrast mover, and one that stops. Plus the box merging it
 * relies on.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { Detection } from '@vigil/contracts';
import { requireExecutable } from '../../scripts/support';
import { DecodedFrame, decodeJpeg, FrameDecodeError, mergeBoxes, MotionDetector, type PixelBox } from '../../libs/detect/src/vision';

const run = promisify(execFile);

const WIDTH = 640;
const HEIGHT = 360;
const SIDE = 60;
const SQUARE_Y = 100;
const MOVING_FRAMES = 16;
/** Left edge of the square in frame i: it enters from the left at 20 px a frame (10 fps, 200 px/s). */
const squareX = (i: number): number => -60 + 20 * i;

/*
 * In the ffmpeg expressions below, frame i is round(10 * t): overlay's frame counter `n` runs one ahead of the
 * output frames here.
 */
/** The leaving square: stands at x=400 in frames 0-3 (the background forms around it), then goes left 20 px a frame. */
const LEAVING_FRAMES = 20;
const PARKED_X = 400;
const leavingX = (i: number): number => PARKED_X - 20 * Math.max(0, i - 3);
/** The first frame in which the leaving square no longer covers any of the place it stood on (x = 340). */
const LEFT_AT = 6;

/** The creeping square: 48 grey levels lighter than the noisy grey scene, in view from frame 3, 1 px a frame. */
const CREEPING_FRAMES = 30;
const creepingX = (i: number): number => 100 + i;

/** The stopping square: enters from the left at 20 px a frame, stands at x=200 in frames 13-24, then goes on. */
const STOPPING_FRAMES = 36;
const STOPPED_X = 200;
const stoppingX = (i: number): number => -60 + 20 * Math.min(i, 13) + 20 * Math.max(0, i - 24);
/** The first frame in which the stopping square, going on, no longer covers the place it stood on (x = 260). */
const STOPPED_LEFT_AT = 28;

async function ffmpeg(args: string[]): Promise<void> {
  const binary = requireExecutable('ffmpeg', 'Install ffmpeg (apt-get install ffmpeg).');
  await run(binary, ['-loglevel', 'error', '-y', ...args]);
}

async function readFrames(dir: string, prefix: string, count: number): Promise<Buffer[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => readFile(join(dir, `${prefix}-${String(i).padStart(3, '0')}.jpg`))));
}

/** The detection's box in frame pixels. */
function pixels(detection: Detection): PixelBox {
  const [x1, y1, x2, y2] = detection.box;
  return { x: x1 * WIDTH, y: y1 * HEIGHT, width: (x2 - x1) * WIDTH, height: (y2 - y1) * HEIGHT };
}

function iou(a: PixelBox, b: PixelBox): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  const inter = w > 0 && h > 0 ? w * h : 0;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/** Whether one of the boxes is on the square of moving frame i. */
function seesSquare(detections: readonly Detection[], i: number): boolean {
  const square = { x: squareX(i), y: SQUARE_Y, width: SIDE, height: SIDE };
  return detections.some((detection) => iou(pixels(detection), square) > 0.75);
}

/** Whether one of the boxes is on the square of side SIDE at (x, y). */
function sees(detections: readonly Detection[], x: number, y = SQUARE_Y, minIou = 0.75): boolean {
  const square = { x, y, width: SIDE, height: SIDE };
  return detections.some((detection) => iou(pixels(detection), square) > minIou);
}

/** Whether one of the boxes overlaps the rectangle at all. */
function touches(detections: readonly Detection[], area: PixelBox): boolean {
  return detections.some((detection) => iou(pixels(detection), area) > 0);
}

async function detectAll(detector: MotionDetector, inputs: readonly (Buffer | DecodedFrame | import('@u4/opencv4nodejs').Mat)[]): Promise<Detection[][]> {
  const results: Detection[][] = [];
  for (const input of inputs) results.push(await detector.detect(input));
  return results;
}

describe('motion detector', { timeout: 60_000 }, () => {
  let dir: string;
  let moving: Buffer[];
  let still: Buffer[];
  let dark: Buffer;
  let bright: Buffer;
  let brightWithSquare: Buffer;
  let leaving: Buffer[];
  let creeping: Buffer[];
  let stopping: Buffer[];
  let textured: Buffer[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-vision-motion-'));
    // (drawbox cannot move: in its expressions `t` is the line thickness, not the time, so overlay moves it)
    await ffmpeg([
      '-f', 'lavfi', '-i', `color=black:s=${WIDTH}x${HEIGHT}:r=10`,
      '-f', 'lavfi', '-i', `color=white:s=${SIDE}x${SIDE}:r=10`,
      '-filter_complex', `[0][1]overlay=x='-60+t*200':y=${SQUARE_Y}:shortest=1`,
      '-frames:v', String(MOVING_FRAMES), '-q:v', '3', '-start_number', '0', join(dir, 'moving-%03d.jpg'),
    ]);
    // a still scene as a camera sees it: every frame carries fresh sensor noise
    await ffmpeg([
      '-f', 'lavfi', '-i', `color=0x606060:s=${WIDTH}x${HEIGHT}:r=10`,
      '-vf', `drawbox=x=200:y=${SQUARE_Y}:w=${SIDE}:h=${SIDE}:color=white:t=fill,noise=alls=12:allf=t`,
      '-frames:v', '12', '-q:v', '3', '-start_number', '0', join(dir, 'still-%03d.jpg'),
    ]);
    await ffmpeg(['-f', 'lavfi', '-i', `color=0x202020:s=${WIDTH}x${HEIGHT}`, '-frames:v', '1', join(dir, 'dark.jpg')]);
    await ffmpeg(['-f', 'lavfi', '-i', `color=0xc0c0c0:s=${WIDTH}x${HEIGHT}`, '-frames:v', '1', join(dir, 'bright.jpg')]);
    await ffmpeg([
      '-f', 'lavfi', '-i', `color=0xc0c0c0:s=${WIDTH}x${HEIGHT}`,
      '-vf', `drawbox=x=300:y=150:w=${SIDE}:h=${SIDE}:color=black:t=fill`, '-frames:v', '1', join(dir, 'bright-square.jpg'),
    ]);
    await ffmpeg([
      '-f', 'lavfi', '-i', `color=black:s=${WIDTH}x${HEIGHT}:r=10`,
      '-f', 'lavfi', '-i', `color=white:s=${SIDE}x${SIDE}:r=10`,
      '-filter_complex', `[0][1]overlay=x='${PARKED_X}-20*max(0,round(10*t)-3)':y=${SQUARE_Y}:shortest=1`,
      '-frames:v', String(LEAVING_FRAMES), '-q:v', '3', '-start_number', '0', join(dir, 'leaving-%03d.jpg'),
    ]);
    await ffmpeg([
      '-f', 'lavfi', '-i', `color=0x606060:s=${WIDTH}x${HEIGHT}:r=10`,
      '-f', 'lavfi', '-i', `color=0x909090:s=${SIDE}x${SIDE}:r=10`,
      '-filter_complex', `[0][1]overlay=x='100+round(10*t)':y=${SQUARE_Y}:enable='gte(round(10*t),3)':shortest=1,noise=alls=8:allf=t`,
      '-frames:v', String(CREEPING_FRAMES), '-q:v', '3', '-start_number', '0', join(dir, 'creeping-%03d.jpg'),
    ]);
    await ffmpeg([
      '-f', 'lavfi', '-i', `color=black:s=${WIDTH}x${HEIGHT}:r=10`,
      '-f', 'lavfi', '-i', `color=white:s=${SIDE}x${SIDE}:r=10`,
      '-filter_complex', `[0][1]overlay=x='-60+20*min(round(10*t),13)+20*max(0,round(10*t)-24)':y=${SQUARE_Y}:shortest=1`,
      '-frames:v', String(STOPPING_FRAMES), '-q:v', '3', '-start_number', '0', join(dir, 'stopping-%03d.jpg'),
    ]);
    // a still, detailed scene (one frame of testsrc2, held) with fresh sensor noise in every frame
    await ffmpeg([
      '-f', 'lavfi', '-i', `testsrc2=s=${WIDTH}x${HEIGHT}:r=10`,
      '-vf', 'trim=end_frame=1,loop=loop=29:size=1:start=0,noise=alls=12:allf=t',
      '-frames:v', '30', '-q:v', '3', '-start_number', '0', join(dir, 'textured-%03d.jpg'),
    ]);
    moving = await readFrames(dir, 'moving', MOVING_FRAMES);
    leaving = await readFrames(dir, 'leaving', LEAVING_FRAMES);
    creeping = await readFrames(dir, 'creeping', CREEPING_FRAMES);
    stopping = await readFrames(dir, 'stopping', STOPPING_FRAMES);
    textured = await readFrames(dir, 'textured', 30);
    still = await readFrames(dir, 'still', 12);
    dark = await readFile(join(dir, 'dark.jpg'));
    bright = await readFile(join(dir, 'bright.jpg'));
    brightWithSquare = await readFile(join(dir, 'bright-square.jpg'));
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('reports nothing while it warms up', async () => {
    const detector = new MotionDetector({ warmupFrames: 3 });
    // the square moves into view in frames 1 and 2, but the background has only just formed: no report yet
    const results = await detectAll(detector, moving.slice(0, 4));
    assert.deepEqual(results.slice(0, 3), [[], [], []]);
    assert.ok(seesSquare(results[3]!, 3), `the first frame after warm-up sees the square: ${JSON.stringify(results[3])}`);
  });

  test('one box follows the moving square, frame after frame', async () => {
    const detector = new MotionDetector();
    const results = await detectAll(detector, moving);
    let previousCentre = -Infinity;
    for (let i = 0; i < MOVING_FRAMES; i++) {
      const square = { x: squareX(i), y: SQUARE_Y, width: SIDE, height: SIDE };
      if (square.x < 0) continue; // still entering the picture
      const detections = results[i]!;
      assert.equal(detections.length, 1, `frame ${i}: one box, not ${JSON.stringify(detections)}`);
      const [detection] = detections as [Detection];
      assert.equal(detection.label, 'motion');
      assert.equal(detection.classId, 0);
      assert.ok(detection.score > 0.5 && detection.score <= 1, `frame ${i}: score ${detection.score}`);
      const box = pixels(detection);
      assert.ok(iou(box, square) > 0.75, `frame ${i}: box ${JSON.stringify(box)} vs square at x=${square.x} (IoU ${iou(box, square).toFixed(2)})`);
      const centre = box.x + box.width / 2;
      assert.ok(centre > previousCentre, `frame ${i}: centre ${centre} did not move right of ${previousCentre}`);
      previousCentre = centre;
    }
    assert.ok(previousCentre > 200, 'the square was followed across the frame');
  });

  test('a JPEG, a decoded Mat and a DecodedFrame give the same boxes', async () => {
    const fromJpeg = await detectAll(new MotionDetector(), moving);
    const mats = await Promise.all(moving.map((jpeg) => decodeJpeg(jpeg)));
    const fromMat = await detectAll(new MotionDetector(), mats);
    const fromFrame = await detectAll(
      new MotionDetector(),
      moving.map((data) => new DecodedFrame({ data, width: WIDTH, height: HEIGHT })),
    );
    for (let i = 0; i < MOVING_FRAMES; i++) {
      for (const other of [fromMat[i]!, fromFrame[i]!]) {
        assert.equal(other.length, fromJpeg[i]!.length, `frame ${i}`);
        other.forEach((detection, k) => {
          // the JPEG path lets libjpeg shrink while decoding; the Mat path shrinks the full decode: a pixel apart
          detection.box.forEach((value, c) => assert.ok(Math.abs(value - fromJpeg[i]![k]!.box[c]!) < 0.02, `frame ${i} box ${k}`));
        });
      }
    }
  });

  test('a still scene with sensor noise gives no boxes after warm-up', async () => {
    const detector = new MotionDetector();
    const results = await detectAll(detector, still);
    assert.deepEqual(results, still.map(() => []));
  });

  test('a still, detailed scene with sensor noise gives no boxes either', async () => {
    const detector = new MotionDetector();
    const results = await detectAll(detector, textured);
    assert.deepEqual(results, textured.map(() => []));
  });

  test('something in view while the background formed leaves no box where it stood, a few frames after it left', async () => {
    const detector = new MotionDetector();
    const results = await detectAll(detector, leaving);
    const stood = { x: PARKED_X, y: SQUARE_Y, width: SIDE, height: SIDE };
    const at = (i: number) => ({ x: leavingX(i), y: SQUARE_Y, width: SIDE, height: SIDE });
    const shown = (i: number) => `frame ${i}: ${JSON.stringify(results[i]!.map(pixels))}`;
    assert.deepEqual(results.slice(0, 4), [[], [], [], []], 'standing still while the background forms, and after');
    for (let i = 4; i < LEFT_AT; i++) assert.ok(touches(results[i]!, stood) && touches(results[i]!, at(i)), shown(i));
    // the place it left changed in the frames up to LEFT_AT, and so may show for a few frames after it...
    for (let i = LEFT_AT; i < LEFT_AT + 4; i++) assert.ok(touches(results[i]!, at(i)), shown(i));
    // ...and never after (the running average alone showed it for ~115 frames): only the square is left
    for (let i = LEFT_AT + 4; i < LEAVING_FRAMES; i++) {
      assert.ok(!touches(results[i]!, stood), `a box where the square stood: ${shown(i)}`);
      assert.equal(results[i]!.length, 1, shown(i));
      assert.ok(sees(results[i]!, leavingX(i)), `the square at x=${leavingX(i)} is missed: ${shown(i)}`);
    }
  });

  test('a slow, faint mover is followed frame after frame', async () => {
    // 1 px a frame (half a pixel at the working width), 48 grey levels off a noisy scene: frame to frame only its
    // edges change, and by less than the threshold (held to the full threshold, recent change lost it from frame 7)
    const detector = new MotionDetector();
    const results = await detectAll(detector, creeping);
    assert.deepEqual(results.slice(0, 3), [[], [], []], 'the empty scene');
    for (let i = 3; i < CREEPING_FRAMES; i++) {
      const detections = results[i]!;
      assert.equal(detections.length, 1, `frame ${i}: one box, not ${JSON.stringify(detections.map(pixels))}`);
      assert.ok(sees(detections, creepingX(i)), `frame ${i}: the square at x=${creepingX(i)} is missed: ${JSON.stringify(detections.map(pixels))}`);
    }
  });

  test('a mover that stops drops out after a few frames, and is seen again when it goes on', async () => {
    const detector = new MotionDetector();
    const results = await detectAll(detector, stopping);
    const stood = { x: STOPPED_X, y: SQUARE_Y, width: SIDE, height: SIDE };
    const shown = (i: number) => `frame ${i}: ${JSON.stringify(results[i]!.map(pixels))}`;
    for (let i = 3; i <= 13; i++) assert.ok(sees(results[i]!, stoppingX(i)), `coming in: ${shown(i)}`);
    // standing from frame 13: its place changed in the frames before, so it is seen until frame 15, then not
    for (let i = 14; i <= 15; i++) assert.ok(sees(results[i]!, STOPPED_X), `just stopped: ${shown(i)}`);
    for (let i = 16; i <= 24; i++) assert.deepEqual(results[i], [], `standing still: ${shown(i)}`);
    // the background took it in while it stood: going on, it shows where it changed the picture, around it
    for (let i = 25; i < STOPPING_FRAMES; i++) {
      assert.ok(touches(results[i]!, { x: stoppingX(i), y: SQUARE_Y, width: SIDE, height: SIDE }), `going on: ${shown(i)}`);
    }
    for (let i = STOPPED_LEFT_AT + 3; i < STOPPING_FRAMES; i++) {
      assert.ok(!touches(results[i]!, stood), `a box where it stood: ${shown(i)}`);
      assert.equal(results[i]!.length, 1, shown(i));
      assert.ok(sees(results[i]!, stoppingX(i)), shown(i));
    }
  });

  test('a lighting change is not motion, and the background starts over from it', async () => {
    const detector = new MotionDetector();
    const results = await detectAll(detector, [dark, dark, dark, bright, bright]);
    assert.deepEqual(results, [[], [], [], [], []]);
    // measured against the bright background, a small change is motion again (against the old dark one, it
    // would look like another lighting change)
    const [square] = await detector.detect(brightWithSquare);
    assert.ok(square, 'the square on the bright scene is seen');
    assert.ok(iou(pixels(square), { x: 300, y: 150, width: SIDE, height: SIDE }) > 0.75, JSON.stringify(pixels(square)));
    assert.deepEqual(await detectAll(detector, [dark, dark]), [[], []], 'the jump back is a lighting change too');
  });

  test('reset() forgets the background: the next frames warm up again', async () => {
    // a background that holds the square, still, at x=240 (the last moving frame, shown four times)
    const parked = Array.from({ length: 4 }, () => moving[MOVING_FRAMES - 1]!);
    const control = new MotionDetector();
    await detectAll(control, parked);
    const [ghost] = await control.detect(moving[0]!);
    assert.ok(ghost && pixels(ghost).x > 200, 'without reset, the empty scene shows where the square stood');

    const detector = new MotionDetector();
    await detectAll(detector, parked);
    detector.reset();
    const after = await detectAll(detector, moving.slice(0, 5));
    assert.deepEqual(after.slice(0, 2), [[], []], 'warming up again');
    assert.ok(seesSquare(after[4]!, 4), JSON.stringify(after[4]));
    assert.equal(after[4]!.length, 1, 'nothing of the old background is left');
  });

  test('calls that do not wait for each other still run in order (the background is updated once per frame)', async () => {
    const sequential = await detectAll(new MotionDetector(), moving);
    const detector = new MotionDetector();
    const concurrent = await Promise.all(moving.map((jpeg) => detector.detect(jpeg)));
    assert.deepEqual(concurrent, sequential);
  });

  test('a corrupt JPEG is rejected with the camera named, and the detector carries on', async () => {
    const detector = new MotionDetector({ camera: 'yard' });
    await detector.detect(moving[0]!);
    await assert.rejects(detector.detect(Buffer.from('not a jpeg')), (error: Error) => {
      assert.match(error.message, /camera yard/);
      assert.ok(error.cause instanceof FrameDecodeError);
      return true;
    });
    await assert.rejects(detector.detect(moving[1]!.subarray(0, 10), 'gate'), /camera gate/);
    assert.deepEqual(await detector.detect(moving[1]!), [], 'second frame: still warming up');
    assert.ok(seesSquare(await detector.detect(moving[3]!), 3));
  });

  test('bad options are refused with what is wrong', () => {
    assert.throws(() => new MotionDetector({ blur: 4, threshold: 300 }), (error: Error) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, /blur must be an odd integer/);
      assert.match(error.message, /threshold must be between 0 and 255/);
      return true;
    });
  });
});

describe('mergeBoxes', () => {
  const box = (x: number, y: number, width: number, height: number): PixelBox => ({ x, y, width, height });

  test('keeps boxes apart when they are further than the gap', () => {
    assert.deepEqual(mergeBoxes([box(0, 0, 10, 10), box(20, 0, 10, 10)], 5), [box(0, 0, 10, 10), box(20, 0, 10, 10)]);
  });

  test('merges boxes that overlap or lie within the gap', () => {
    assert.deepEqual(mergeBoxes([box(0, 0, 10, 10), box(5, 5, 10, 10)], 0), [box(0, 0, 15, 15)]);
    assert.deepEqual(mergeBoxes([box(0, 0, 10, 10), box(14, 0, 10, 10)], 4), [box(0, 0, 24, 10)]);
  });

  test('merges through a chain, also when the grown box reaches one it had already passed', () => {
    // A and C are far apart; B, last in the list, touches both: all three become one
    const merged = mergeBoxes([box(0, 0, 10, 10), box(100, 0, 10, 10), box(8, 0, 94, 10)], 0);
    assert.deepEqual(merged, [box(0, 0, 110, 10)]);
    // B and C touch each other but not A; their union covers a corner of A, which was compared with both before
    const grown = mergeBoxes([box(0, 0, 10, 10), box(20, 0, 10, 35), box(5, 30, 20, 10)], 0);
    assert.deepEqual(grown, [box(0, 0, 30, 40)]);
  });

  test('does not modify its input', () => {
    const input = [box(0, 0, 10, 10), box(5, 0, 10, 10)];
    mergeBoxes(input, 0);
    assert.deepEqual(input, [box(0, 0, 10, 10), box(5, 0, 10, 10)]);
  });
});
