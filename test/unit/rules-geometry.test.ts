import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type Polygon,
  anchorPoint,
  boxInZone,
  intersectionArea,
  intersectionOverArea,
  iou,
  pointInPolygon,
  subBox,
} from '../../libs/detect/src/rules';

const square: Polygon = [
  [0.2, 0.2],
  [0.8, 0.2],
  [0.8, 0.8],
  [0.2, 0.8],
];

// a U open at the top: two arms (x 0.1..0.3 and 0.7..0.9) joined by a base (y 0.7..0.9)
const u: Polygon = [
  [0.1, 0.1],
  [0.3, 0.1],
  [0.3, 0.7],
  [0.7, 0.7],
  [0.7, 0.1],
  [0.9, 0.1],
  [0.9, 0.9],
  [0.1, 0.9],
];

const wholeFrame: Polygon = [
  [0, 0],
  [1, 0],
  [1, 1],
  [0, 1],
];

const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} != ${expected}`);

describe('pointInPolygon', () => {
  test('a point well inside is in, one outside is out', () => {
    assert.equal(pointInPolygon([0.5, 0.5], square), true);
    assert.equal(pointInPolygon([0.1, 0.5], square), false);
    assert.equal(pointInPolygon([0.5, 0.9], square), false);
  });

  test('points on any edge or vertex count as inside, whichever side the ray test would favour', () => {
    for (const point of [
      [0.2, 0.5],
      [0.8, 0.5],
      [0.5, 0.2],
      [0.5, 0.8],
      [0.2, 0.2],
      [0.8, 0.8],
    ] as const) {
      assert.equal(pointInPolygon(point, square), true, `${point}`);
    }
  });

  test('a point just outside an edge is out', () => {
    assert.equal(pointInPolygon([0.8 + 1e-6, 0.5], square), false);
    assert.equal(pointInPolygon([0.5, 0.2 - 1e-6], square), false);
  });

  test('feet at the very bottom of the frame are inside a zone drawn to the frame border', () => {
    assert.equal(boxInZone([0.4, 0.5, 0.6, 1], wholeFrame), true);
    assert.equal(pointInPolygon([1, 1], wholeFrame), true);
  });

  test('the notch of a concave polygon is outside, its arms and base inside', () => {
    assert.equal(pointInPolygon([0.5, 0.4], u), false, 'notch between the arms');
    assert.equal(pointInPolygon([0.2, 0.4], u), true, 'left arm');
    assert.equal(pointInPolygon([0.8, 0.4], u), true, 'right arm');
    assert.equal(pointInPolygon([0.5, 0.8], u), true, 'base');
    assert.equal(pointInPolygon([0.5, 0.95], u), false, 'below the base');
  });

  test('a ray through a vertex of the concave polygon does not flip the answer', () => {
    // y = 0.7 runs through the inner vertices (0.3, 0.7) and (0.7, 0.7)
    assert.equal(pointInPolygon([0.05, 0.7], u), false);
    assert.equal(pointInPolygon([0.2, 0.7], u), true);
    assert.equal(pointInPolygon([0.95, 0.7], u), false);
  });
});

describe('box anchors', () => {
  test('bottom-centre is the middle of the bottom edge, centre the middle of the box', () => {
    const [fx, fy] = anchorPoint([0.2, 0.1, 0.4, 0.9]);
    close(fx, 0.3);
    close(fy, 0.9);
    const [cx, cy] = anchorPoint([0.2, 0.2, 0.4, 0.6], 'centre');
    close(cx, 0.3);
    close(cy, 0.4);
  });

  test('a person is in a zone by their feet: head in the zone with feet outside is out', () => {
    assert.equal(boxInZone([0.4, 0.5, 0.5, 0.95], square), false);
  });

  test('a person is in a zone by their feet: feet in the zone with head outside is in', () => {
    assert.equal(boxInZone([0.4, 0.05, 0.5, 0.7], square), true);
  });

  test('with the centre anchor the middle of the box decides', () => {
    assert.equal(boxInZone([0.4, 0.5, 0.5, 0.95], square, 'centre'), true);
  });
});

describe('box overlap', () => {
  test('IoU is 1 for the same box and 0 for disjoint or merely touching boxes', () => {
    close(iou([0.1, 0.1, 0.3, 0.3], [0.1, 0.1, 0.3, 0.3]), 1);
    assert.equal(iou([0.1, 0.1, 0.3, 0.3], [0.5, 0.5, 0.7, 0.7]), 0);
    assert.equal(iou([0.1, 0.1, 0.3, 0.3], [0.3, 0.1, 0.5, 0.3]), 0);
  });

  test('IoU of two boxes overlapping by half their width is one third', () => {
    close(iou([0, 0, 0.2, 0.2], [0.1, 0, 0.3, 0.2]), 1 / 3);
    close(intersectionArea([0, 0, 0.2, 0.2], [0.1, 0, 0.3, 0.2]), 0.02);
  });

  test('intersection over area is 1 for a small box inside a large one, where IoU is small', () => {
    const small = [0.45, 0.45, 0.5, 0.5] as const;
    const large = [0, 0, 1, 1] as const;
    close(intersectionOverArea(small, large), 1);
    assert.ok(iou(small, large) < 0.01);
    close(intersectionOverArea(large, small), 0.0025);
  });

  test('a box without area overlaps nothing rather than dividing by zero', () => {
    assert.equal(intersectionOverArea([0.5, 0.5, 0.5, 0.6], [0, 0, 1, 1]), 0);
    assert.equal(iou([0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5]), 0);
  });

  test('subBox takes fractions of the box, e.g. its top third', () => {
    const [x1, y1, x2, y2] = subBox([0.2, 0.3, 0.4, 0.9], [0, 0, 1, 1 / 3]);
    close(x1, 0.2);
    close(y1, 0.3);
    close(x2, 0.4);
    close(y2, 0.5);
  });
});
