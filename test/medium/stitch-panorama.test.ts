/**
 * The stitching library against the real OpenCV addon and ffmpeg: one wide moving scene (test/support/stitch-scene.ts)
 * cut into two overlapping views, calibrated, rendered frame by frame, and compared with the scene by SSIM.
 *
 * The views are fed as JPEG frames straight from files; the stitch service's end-to-end test serves them from the
 * test RTSP server and runs the same library behind it.
 *
 * Measured on the 2-core dev machine (2026-12; the test prints them as diagnostics): plain pair SSIM 0.973 over the
 * whole panorama, 2240 wide for 2240; perspective pair SSIM 0.935 over rows 40..680, 2238 wide; agreement 1.000
 * unmoved, 0.32 with the right camera panned 40 pixels. The thresholds leave room for another machine's rounding.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DRIFT_AGREEMENT_FLOOR, Panorama, StitchSizeChangedError, type StitchCalibration } from '@vigil/stitch';
import { flatFrame, makeStitchScene, MOVED_BY, PERSPECTIVE_INSET, SCENE, ssim, unrelatedFrame, VIEW, type StitchScene } from '../support/stitch-scene';

/** SSIM of the panorama against the wide scene, at least (measured 0.973 plain, 0.935 perspective) */
const MIN_SSIM = 0.9;
/** the panorama's width may differ from the scene's by this share, at most */
const WIDTH_TOLERANCE = 0.03;

describe('stitch: calibrate, render, compare with the scene', { timeout: 180_000 }, () => {
  let dir: string;
  let scene: StitchScene;
  const loaded: Panorama[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-stitch-'));
    scene = await makeStitchScene(dir, 4);
  });

  after(async () => {
    for (const panorama of loaded) panorama.release();
    await rm(dir, { recursive: true, force: true });
  });

  async function calibrated(second: 'right' | 'perspective'): Promise<StitchCalibration> {
    const outcome = await Panorama.calibrate(await scene.view('left', 0), await scene.view(second, 0));
    assert.ok(outcome.ok, `calibration of left + ${second} failed: ${outcome.ok ? '' : outcome.reason}`);
    return outcome.calibration;
  }

  async function load(calibration: unknown, options?: Parameters<typeof Panorama.load>[1]): Promise<Panorama> {
    const panorama = await Panorama.load(calibration, options);
    loaded.push(panorama);
    return panorama;
  }

  /** Renders every frame of the scene (the panorama is a camera: the same plan for every frame) and returns the last. */
  async function renderAll(panorama: Panorama, second: 'right' | 'perspective' | 'moved'): Promise<{ path: string; frame: number; agreements: (number | undefined)[] }> {
    const agreements: (number | undefined)[] = [];
    let jpeg: Buffer | undefined;
    for (let frame = 0; frame < scene.frames; frame++) {
      const rendered = await panorama.render(await scene.view('left', frame), await scene.view(second, frame));
      assert.equal(rendered.width, panorama.width);
      assert.equal(rendered.height, panorama.height);
      agreements.push(rendered.agreement);
      jpeg = rendered.jpeg;
    }
    const path = join(dir, `panorama-${second}.jpg`);
    await writeFile(path, jpeg!);
    return { path, frame: scene.frames - 1, agreements };
  }

  function assertWidth(calibration: StitchCalibration): void {
    const error = Math.abs(calibration.output.width - SCENE.width) / SCENE.width;
    assert.ok(error <= WIDTH_TOLERANCE, `panorama width ${calibration.output.width}, the scene's ${SCENE.width}: ${(error * 100).toFixed(1)} % off`);
  }

  test('two views of one scene: the panorama is the scene (SSIM), as wide as the scene, the overlap where it was cut', async (t) => {
    const calibration = await calibrated('right');
    assertWidth(calibration);
    assert.ok(Math.abs(calibration.output.height - SCENE.height) <= 2, `height ${calibration.output.height}`);
    assert.ok(calibration.inliers >= 30 && calibration.inliers <= calibration.matches, `${calibration.inliers} of ${calibration.matches}`);
    // the views overlap at x 960..1280 of the scene
    assert.ok(Math.abs(calibration.overlap.x - VIEW.rightX) <= 2, `overlap at x ${calibration.overlap.x}`);
    assert.ok(Math.abs(calibration.overlap.width - (VIEW.width - VIEW.rightX)) <= 3, `overlap ${calibration.overlap.width} wide`);

    // stored as JSON and read back, as the service does
    const panorama = await load(JSON.parse(JSON.stringify(calibration)));
    const { path, frame } = await renderAll(panorama, 'right');
    const width = Math.min(panorama.width, SCENE.width);
    const score = await ssim(path, scene.widePath(frame), { x: 0, y: 0, width, height: Math.min(panorama.height, SCENE.height) });
    t.diagnostic(`plain: ${calibration.output.width}x${calibration.output.height} (scene ${SCENE.width}x${SCENE.height}), overlap ${JSON.stringify(calibration.overlap)}, ${calibration.inliers}/${calibration.matches} inliers, SSIM ${score.toFixed(4)}`);
    assert.ok(score >= MIN_SSIM, `SSIM ${score.toFixed(3)} of the panorama against the scene; at least ${MIN_SSIM}`);
  });

  test('one view under a perspective: the warp undoes it, SSIM against the scene where both views see it', async (t) => {
    const calibration = await calibrated('perspective');
    assertWidth(calibration);
    const panorama = await load(calibration);
    const { path, frame, agreements } = await renderAll(panorama, 'perspective');
    assert.ok(agreements[0] !== undefined && agreements[0] >= DRIFT_AGREEMENT_FLOOR, `agreement ${agreements[0]} through the perspective`);
    // the turned camera sees only rows 40..680 at its left edge, so the panorama has black wedges above and below
    const band = { x: 0, y: PERSPECTIVE_INSET, width: Math.min(panorama.width, SCENE.width), height: SCENE.height - 2 * PERSPECTIVE_INSET };
    const score = await ssim(path, scene.widePath(frame), band);
    t.diagnostic(`perspective: ${calibration.output.width}x${calibration.output.height}, ${calibration.inliers}/${calibration.matches} inliers, SSIM ${score.toFixed(4)} over rows ${band.y}..${band.y + band.height}`);
    assert.ok(score >= MIN_SSIM, `SSIM ${score.toFixed(3)} over rows ${band.y}..${band.y + band.height}; at least ${MIN_SSIM}`);
  });

  test('a pair that shares nothing is refused for want of overlap, with the figures', async (t) => {
    const left = await scene.view('left', 0);
    for (const [what, second] of [['the same scene, no common pixel', await scene.view('far', 0)], ['another scene', await unrelatedFrame(dir)]] as const) {
      const outcome = await Panorama.calibrate(left, second);
      assert.equal(outcome.ok, false, `${what}: calibrated`);
      t.diagnostic(`${what}: ${outcome.ok ? 'calibrated' : outcome.reason}`);
      assert.match(outcome.ok ? '' : outcome.reason, /^not enough overlap: \d+ (inlier )?match(es)?, need 30$/, what);
    }
  });

  test('drift: the agreement stays above the floor while the cameras stay put, and falls below it when one pans', async (t) => {
    const panorama = await load(await calibrated('right'), { agreementEvery: 1 });
    const still = await renderAll(panorama, 'right');
    for (const agreement of still.agreements) assert.ok(agreement !== undefined && agreement >= DRIFT_AGREEMENT_FLOOR, `unmoved: agreement ${agreement}`);
    const moved = await renderAll(panorama, 'moved');
    const shown = (list: (number | undefined)[]): string => list.map((a) => a?.toFixed(3)).join(', ');
    t.diagnostic(`agreement unmoved ${shown(still.agreements)}; panned ${MOVED_BY} px ${shown(moved.agreements)}; floor ${DRIFT_AGREEMENT_FLOOR}`);
    for (const agreement of moved.agreements) {
      assert.ok(agreement !== undefined && agreement < DRIFT_AGREEMENT_FLOOR, `panned ${MOVED_BY} px: agreement ${agreement}, floor ${DRIFT_AGREEMENT_FLOOR}`);
    }
  });

  test('a flat overlap (both cameras see a grey wall) renders, and gives no agreement rather than a false one', async () => {
    const panorama = await load(await calibrated('right'), { agreementEvery: 1 });
    const grey = await flatFrame(dir, VIEW.width, VIEW.height);
    const rendered = await panorama.render(grey, grey);
    assert.equal(rendered.agreement, undefined);
    assert.equal(rendered.width, panorama.width);
  });

  test('agreement is measured on the first frame and every agreementEvery-th after it', async () => {
    const panorama = await load(await calibrated('right'), { agreementEvery: 3 });
    const { agreements } = await renderAll(panorama, 'right');
    assert.deepEqual(agreements.map((a) => a !== undefined), [true, false, false, true]);
  });

  test('an input of another size than it was calibrated for is a StitchSizeChangedError naming the input', async () => {
    const panorama = await load(await calibrated('right'));
    await assert.rejects(panorama.render(await scene.view('left', 0), await scene.view('far', 0)), (error: unknown) => {
      assert.ok(error instanceof StitchSizeChangedError);
      assert.equal(error.input, 1);
      assert.equal(error.problem, 'size-changed');
      assert.deepEqual(error.actual, { width: 960, height: 720 });
      assert.match(error.message, /input 1 is 960x720, the calibration was made for 1280x720/);
      return true;
    });
    // and the panorama still renders a good pair
    assert.ok((await panorama.render(await scene.view('left', 0), await scene.view('right', 0))).jpeg.length > 0);
  });

  test('ORB, the alternative detector, either calibrates the turned pair right or refuses it for want of overlap, never a wrong panorama', async () => {
    const outcome = await Panorama.calibrate(await scene.view('left', 0), await scene.view('perspective', 0), { method: 'orb' });
    if (outcome.ok) {
      // if ORB ever matches it, its panorama must still be the scene's width
      assertWidth(outcome.calibration);
      assert.equal(outcome.calibration.method, 'orb');
    } else {
      assert.match(outcome.reason, /^not enough overlap/);
    }
  });
});
