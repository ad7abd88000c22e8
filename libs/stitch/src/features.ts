/**
 * Features of two gray images, matched: keypoints and binary descriptors (AKAZE or ORB), a brute-force Hamming
 * knn match with Lowe's ratio test, point pairs for RANSAC. Every OpenCV call is an `*Async` one (libuv's pool).
 */
import type { KeyPoint, Mat } from '@u4/opencv4nodejs';
import { opencv, releaseMats } from '@vigil/media/opencv';
import type { Point } from './geometry';
import type { FeatureMethod } from './types';

/**
 * AKAZE by default, measured on the medium test's scene (a 2240x720 mandelbrot zoom cut into two 1280x720 views with
 * 320 px in common): on the plain pair ORB kept 34 RANSAC inliers of 49 matches, barely over the 30 calibration
 * asks for, and its homography made the panorama 2251x726 for 2240x720; with a perspective on one view it found 22
 * matches and was refused. Its FAST corners crowd into the most textured parts of each frame and few land in the
 * overlap. AKAZE (threshold lowered to 0.0003, at most MAX_KEYPOINTS kept by grid cell) kept 498 of 532 (2239x720)
 * and 327 of 366 with the perspective, and 17 matches on a pair without overlap. It is slower (550-700 ms against
 * 170-220 ms for a 720p pair on the loaded 2-core machine) but runs once per calibration, never per frame.
 */
export const DEFAULT_FEATURE_METHOD: FeatureMethod = 'akaze';

/** Lowe's ratio: a match counts when its best distance is clearly better than the second best. */
const RATIO = 0.75;
/** Keypoints kept per image: brute-force matching costs their product. */
const MAX_KEYPOINTS = 4000;
/** Keypoints are kept per cell of a GRID x GRID grid, so strong texture in one corner cannot crowd out the overlap. */
const GRID = 8;
/** AKAZE's detector response threshold (OpenCV's default 0.001 leaves smooth regions with too few points). */
const AKAZE_THRESHOLD = 0.0003;

export interface MatchedPoints {
  /** pairs that passed the ratio test */
  matches: number;
  /** in input 1 */
  from: Point[];
  /** the same scene points in input 0 */
  to: Point[];
}

/** Matches `second`'s features to `first`'s; `scale` maps a decoded pixel back to the input's (DCT-reduced decodes). */
export async function matchFeatures(first: Mat, second: Mat, method: FeatureMethod, scale: [number, number] = [1, 1]): Promise<MatchedPoints> {
  const cv = opencv();
  const detector = method === 'akaze' ? new cv.AKAZEDetector({ threshold: AKAZE_THRESHOLD }) : new cv.ORBDetector({ maxFeatures: MAX_KEYPOINTS });
  const found = await Promise.all([first, second].map(async (image) => strongestPerCell(await detector.detectAsync(image), image.cols, image.rows)));
  const [keys0, keys1] = found as [KeyPoint[], KeyPoint[]];
  let descriptors: Mat[] = [];
  try {
    if (keys0.length < 2 || keys1.length < 2) return { matches: 0, from: [], to: [] };
    descriptors = await Promise.all([detector.computeAsync(first, keys0), detector.computeAsync(second, keys1)]);
    const [d0, d1] = descriptors as [Mat, Mat];
    if (d0.empty || d1.empty) return { matches: 0, from: [], to: [] };
    const pairs = await new cv.BFMatcher(cv.NORM_HAMMING, false).knnMatchAsync(d1, d0, 2);
    const from: Point[] = [];
    const to: Point[] = [];
    for (const pair of pairs as unknown as { queryIdx: number; trainIdx: number; distance: number }[][]) {
      const [best, next] = pair;
      if (!best || !next || best.distance >= RATIO * next.distance) continue;
      from.push(rescaled(keys1[best.queryIdx]!.pt, scale[1]));
      to.push(rescaled(keys0[best.trainIdx]!.pt, scale[0]));
    }
    return { matches: from.length, from, to };
  } finally {
    releaseMats(...descriptors);
  }
}

/** Up to MAX_KEYPOINTS, the strongest of each grid cell. */
export function strongestPerCell<K extends { pt: Point; response: number }>(keys: readonly K[], width: number, height: number): K[] {
  if (keys.length <= MAX_KEYPOINTS) return [...keys];
  const perCell = Math.ceil(MAX_KEYPOINTS / (GRID * GRID));
  const cells = new Map<number, K[]>();
  for (const key of keys) {
    const column = Math.min(GRID - 1, Math.max(0, Math.floor((key.pt.x / width) * GRID)));
    const row = Math.min(GRID - 1, Math.max(0, Math.floor((key.pt.y / height) * GRID)));
    const cell = cells.get(row * GRID + column) ?? [];
    cell.push(key);
    cells.set(row * GRID + column, cell);
  }
  return [...cells.values()].flatMap((cell) => cell.sort((a, b) => b.response - a.response).slice(0, perCell));
}

/** A pixel centre of a decode reduced by `scale` in the full-size input's pixel centres. */
function rescaled(p: Point, scale: number): Point {
  return scale === 1 ? { x: p.x, y: p.y } : { x: (p.x + 0.5) * scale - 0.5, y: (p.y + 0.5) * scale - 0.5 };
}
