/** The stitching library's pure parts: homography and polygon math, the panorama layout and its refusals, feathering. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { featherWeights, firstWeight } from '../../libs/stitch/src/feather';
import { strongestPerCell } from '../../libs/stitch/src/features';
import { clipPolygon, corners, inscribedRect, insideDistance, multiply, project, signedArea, translation, uncovered, type Point } from '../../libs/stitch/src/geometry';
import { layOut, type PanoramaLayout } from '../../libs/stitch/src/layout';
import { DEFAULT_STITCH_LIMITS } from '../../libs/stitch/src/limits';
import type { Size } from '../../libs/stitch/src/types';

const HD: Size = { width: 1280, height: 720 };
const PAIR: [Size, Size] = [HD, HD];

function laidOut(h: number[], inputs: [Size, Size] = PAIR): PanoramaLayout {
  const outcome = layOut(h, inputs, DEFAULT_STITCH_LIMITS);
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.reason);
  return outcome.layout;
}

function refusal(h: number[], inputs: [Size, Size] = PAIR): string {
  const outcome = layOut(h, inputs, DEFAULT_STITCH_LIMITS);
  assert.equal(outcome.ok, false, `laid out ${JSON.stringify(h)}`);
  return outcome.ok ? '' : outcome.reason;
}

describe('stitch geometry', () => {
  test('homographies compose right to left and project with the divisor', () => {
    const h = multiply(translation(10, 20), [2, 0, 0, 0, 2, 0, 0, 0, 1]);
    assert.deepEqual(project(h, { x: 3, y: 4 }), { x: 16, y: 28, w: 1 });
    const p = project([1, 0, 0, 0, 1, 0, 0.001, 0, 1], { x: 1000, y: 10 });
    assert.equal(p.w, 2);
    assert.equal(p.x, 500);
  });

  test('corners are pixel centres, clockwise on screen, with a positive area', () => {
    assert.deepEqual(corners({ width: 4, height: 3 }), [{ x: 0, y: 0 }, { x: 3, y: 0 }, { x: 3, y: 2 }, { x: 0, y: 2 }]);
    assert.equal(signedArea(corners({ width: 4, height: 3 })), 6);
  });

  test('clipping a square by another keeps their common part', () => {
    const a = corners({ width: 11, height: 11 });
    const b = corners({ width: 11, height: 11 }, { x: 5, y: 5 });
    assert.equal(signedArea(clipPolygon(a, b)), 25);
    assert.deepEqual(clipPolygon(a, corners({ width: 3, height: 3 }, { x: 20, y: 20 })), []);
  });

  test('the inscribed rectangle of a turned square has every corner inside it', () => {
    const angle = (10 * Math.PI) / 180;
    const square: Point[] = corners({ width: 201, height: 201 }, { x: -100, y: -100 }).map(({ x, y }) => ({
      x: 300 + x * Math.cos(angle) - y * Math.sin(angle),
      y: 300 + x * Math.sin(angle) + y * Math.cos(angle),
    }));
    const rect = inscribedRect(square, { x: 150, y: 150, width: 300, height: 300 });
    assert.ok(rect && rect.width > 120 && rect.height > 120, JSON.stringify(rect));
    for (const p of corners(rect, rect)) assert.ok(insideDistance(square, p) >= 1, `${JSON.stringify(p)} is outside`);
    assert.equal(inscribedRect(corners({ width: 2, height: 2 }), { x: 0, y: 0, width: 2, height: 2 }), undefined);
  });

  test('uncovered leaves exactly the pixels no rectangle covers', () => {
    const output = { x: 0, y: 0, width: 10, height: 10 };
    const holes = [{ x: 0, y: 0, width: 5, height: 10 }, { x: 5, y: 2, width: 5, height: 6 }];
    const pieces = uncovered(output, holes);
    assert.equal(pieces.reduce((sum, r) => sum + r.width * r.height, 0), 20);
    for (let y = 0; y < 10; y++) {
      for (let x = 0; x < 10; x++) {
        const inside = (r: { x: number; y: number; width: number; height: number }): boolean => x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height;
        assert.equal(pieces.filter(inside).length, holes.some(inside) ? 0 : 1, `pixel ${x},${y}`);
      }
    }
  });
});

describe('stitch layout', () => {
  test('a pure translation: the views side by side, the overlap where they were cut', () => {
    const layout = laidOut(translation(960, 0));
    assert.deepEqual(layout.output, { width: 2240, height: 720 });
    assert.deepEqual(layout.offset, { x: 0, y: 0 });
    assert.deepEqual(layout.overlap, { x: 960, y: 0, width: 320, height: 720 });
    assert.deepEqual(layout.agreement, { x: 961, y: 1, width: 318, height: 718 });
  });

  test('input 1 left of and above input 0: input 0 is offset so every pixel has a place', () => {
    const layout = laidOut(translation(-960, -40));
    assert.deepEqual(layout.offset, { x: 960, y: 40 });
    assert.deepEqual(layout.output, { width: 2240, height: 760 });
    assert.deepEqual(layout.overlap, { x: 960, y: 40, width: 320, height: 680 });
    assert.deepEqual(project(layout.homography, { x: 0, y: 0 }), { x: 0, y: 0, w: 1 });
  });

  test('RANSAC noise of a fraction of a pixel past the origin does not add a column', () => {
    assert.deepEqual(laidOut([1, 0, 960, 0, 1, -0.3, 0, 0, 1]).offset, { x: 0, y: 0 });
  });

  test('refuses homographies no two cameras of one scene make, saying which way', () => {
    assert.match(refusal([NaN, 0, 0, 0, 1, 0, 0, 0, 1]), /degenerate: it has entries that are not finite/);
    assert.match(refusal([1, 0, 0, 0, 1, 0, 0, 0]), /degenerate: it has entries that are not finite/);
    assert.match(refusal([-1, 0, 2000, 0, 1, 0, 0, 0, 1]), /degenerate: it flips input 1/);
    assert.match(refusal([1, 0, 0, 0, 1, 0, -0.001, 0, 1]), /degenerate: it takes part of input 1 past the horizon/);
    assert.match(refusal([1, 2, 900, 0, 1, 0, 0, 0, 1]), /degenerate: it skews input 1 too much \(a corner of 27 degrees; at least 40\)/);
    assert.match(refusal([3, 0, 900, 0, 3, 0, 0, 0, 1]), /degenerate: it scales input 1 by 3.00 \(at most 2.5 either way\)/);
    assert.match(refusal([0.2, 0, 900, 0, 0.2, 0, 0, 0, 1]), /degenerate: it scales input 1 by 0.20/);
    assert.match(refusal(translation(100_000, 0)), /degenerate: the panorama would be 101280x720, more than 3 times the inputs' total \(7680x4320\)/);
  });

  test('a panorama over the hard caps is refused even where it is under 3x the inputs', () => {
    const big: Size = { width: 3840, height: 2160 };
    assert.match(refusal(translation(3900, 0), [big, big]), /the panorama would be 7740x2160; at most 7680 pixels each way/);
    assert.match(refusal(translation(3700, 1500), [big, big]), /7540x3660, 27.6 megapixels; at most 16.6/);
  });

  test('refuses too little overlap, with the size both see', () => {
    assert.equal(refusal(translation(1400, 0)), 'not enough overlap: once aligned, the inputs do not overlap');
    assert.equal(refusal(translation(1270, 0)), 'not enough overlap: both inputs see 8x718 pixels in common, need at least 16x16');
  });
});

describe('stitch feathering', () => {
  test('across the strip input 0 fades out and input 1 in; the weights always sum to 255', async () => {
    const layout = laidOut(translation(960, 0));
    const weights = await featherWeights(layout);
    assert.equal(weights.first.length, 320 * 720 * 3);
    const at = (row: number, column: number): number => weights.first[(row * 320 + column) * 3]!;
    for (let i = 0; i < weights.first.length; i++) assert.equal(weights.first[i]! + weights.second[i]!, 255);
    assert.equal(at(360, 0), 255); // on input 1's seam: none of it
    assert.equal(at(360, 319), 0); // on input 0's seam
    for (let column = 1; column < 320; column++) assert.ok(at(360, column) <= at(360, column - 1), `not fading at column ${column}`);
    // the top and bottom edges lie on the panorama's border: no seam there, the same ramp in every row
    assert.equal(at(0, 160), at(360, 160));
    assert.equal(at(719, 100), at(360, 100));
  });

  test('where input 1 does not reach (its turned edge), the strip is input 0 only', async () => {
    const layout = laidOut([0.8, 0, 960, -0.03, 0.9, 40, -0.0001, 0, 1]);
    const weights = await featherWeights(layout);
    const row = 0; // above input 1's top edge near x 960
    assert.equal(weights.first[(row * weights.width + 5) * 3], 255);
  });

  test('firstWeight: by the distances, all to whoever has no seam, all to input 0 outside input 1', () => {
    assert.equal(firstWeight(30, 10), 0.75);
    assert.equal(firstWeight(10, undefined), 1);
    assert.equal(firstWeight(undefined, 10), 0);
    assert.equal(firstWeight(Infinity, 10), 1);
    assert.equal(firstWeight(10, Infinity), 0);
    assert.equal(firstWeight(0, 0), 0.5);
  });
});

describe('stitch keypoint selection', () => {
  test('keeps at most 4000, the strongest per grid cell, so one textured corner cannot crowd out the rest', () => {
    const crowded = Array.from({ length: 9000 }, (_, i) => ({ pt: { x: i % 100, y: 0 }, response: i }));
    const spread = Array.from({ length: 500 }, (_, i) => ({ pt: { x: 900 + (i % 50), y: 600 }, response: -i }));
    const kept = strongestPerCell([...crowded, ...spread], 1280, 720);
    assert.ok(kept.length <= 4000);
    assert.equal(kept.filter((k) => k.pt.y === 600).length, 63);
    const fromCrowd = kept.filter((k) => k.pt.y === 0);
    assert.equal(Math.min(...fromCrowd.map((k) => k.response)), 9000 - 63);
    assert.equal(strongestPerCell(spread, 1280, 720).length, 500);
  });
});
