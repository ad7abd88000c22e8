import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { letterboxGeometry, toFrameBox, type LetterboxGeometry } from '../../libs/detect/src/yolo/letterbox';

/** frame pixels -> input pixels, the way the letterboxed image places them */
function toInput(geometry: LetterboxGeometry, box: number[]): number[] {
  const { scale, padX, padY } = geometry;
  return [box[0] * scale + padX, box[1] * scale + padY, box[2] * scale + padX, box[3] * scale + padY];
}

function assertClose(actual: readonly number[], expected: readonly number[], tolerance = 1e-9): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((value, i) => assert.ok(Math.abs(value - expected[i]) <= tolerance, `[${i}] ${value} is not ${expected[i]} (in [${actual.join(', ')}])`));
}

describe('letterboxGeometry', () => {
  test('a landscape 720p frame into 640x640 is scaled by half and padded top and bottom', () => {
    assert.deepEqual(letterboxGeometry(1280, 720, 640, 640), { scale: 0.5, padX: 0, padY: 140, newW: 640, newH: 360 });
  });

  test('a portrait frame is padded left and right', () => {
    assert.deepEqual(letterboxGeometry(720, 1280, 640, 640), { scale: 0.5, padX: 140, padY: 0, newW: 360, newH: 640 });
  });

  test('a small frame is scaled up (Ultralytics scaleup), not pasted at its own size', () => {
    assert.deepEqual(letterboxGeometry(32, 16, 64, 64), { scale: 2, padX: 0, padY: 16, newW: 64, newH: 32 });
  });

  test('odd padding puts the extra pixel at the bottom, as Ultralytics does (top = round(dh - 0.1))', () => {
    const geometry = letterboxGeometry(100, 61, 64, 64);
    assert.equal(geometry.newH, 39);
    assert.equal(geometry.padY, 12); // 25 rows of padding: 12 above, 13 below
  });

  test('a size that scales to x.5 rounds half to even like Python, not up like Math.round', () => {
    // 425 * 0.5 = 212.5: Python's round gives 212, Math.round 213; a one-row difference shifts every box
    const geometry = letterboxGeometry(640, 425, 320, 320);
    assert.equal(geometry.newH, 212);
    assert.equal(geometry.padY, 54);
    assert.equal(letterboxGeometry(640, 427, 320, 320).newH, 214);
  });

  test('a non-square input fits the frame by its tighter side', () => {
    assert.deepEqual(letterboxGeometry(1920, 1080, 640, 384), { scale: 640 / 1920, padX: 0, padY: 12, newW: 640, newH: 360 });
  });

  test('refuses sizes that are not positive numbers', () => {
    assert.throws(() => letterboxGeometry(0, 720, 640, 640), /source width must be a positive number, got 0/);
    assert.throws(() => letterboxGeometry(1280, NaN, 640, 640), /source height/);
    assert.throws(() => letterboxGeometry(1280, 720, 640, -1), /input height/);
  });
});

describe('toFrameBox', () => {
  test('undoes the letterbox: a frame box placed in the input comes back normalised to the frame', () => {
    for (const [srcW, srcH] of [
      [1280, 720],
      [720, 1280],
      [100, 61],
      [32, 16],
    ]) {
      const geometry = letterboxGeometry(srcW, srcH, 64, 64);
      const frameBox = [0.1 * srcW, 0.25 * srcH, 0.7 * srcW, 0.9 * srcH];
      assertClose(toFrameBox(toInput(geometry, frameBox), geometry, srcW, srcH), [0.1, 0.25, 0.7, 0.9], 1e-12);
    }
  });

  test('clamps a box that reaches into the padding to the frame', () => {
    const geometry = letterboxGeometry(1280, 720, 640, 640); // rows 0..139 and 500..639 are padding
    assert.deepEqual(toFrameBox([-10, 100, 320, 600], geometry, 1280, 720), [0, 0, 0.5, 1]);
  });

  test('reads the box at an offset, so a decoder can pass its packed array', () => {
    const geometry = letterboxGeometry(1280, 720, 640, 640);
    const packed = new Float32Array([9, 9, 9, 9, 0, 140, 640, 500]);
    assert.deepEqual(toFrameBox(packed, geometry, 1280, 720, 4), [0, 0, 1, 1]);
  });
});
