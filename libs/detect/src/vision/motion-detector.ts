/**
 * A motion detector that needs no model: it gates the ONNX detector (a still scene costs no inference) and can be
 * a camera's detector on its own (class `motion`).
 *
 * Method: shrink the frame to ~320 px wide gray, blur, compare with a running average of past frames
 * (`accumulateWeighted` + `absdiff`), threshold, dilate, take the outer contours, drop the tiny ones, merge the
 * pieces that touch. Why a running average rather than OpenCV's MOG2:
 * - the binding's `BackgroundSubtractorMOG2.apply` has no async variant, so it would run on the event loop
 *   (0.3-0.6 ms per 320x180 frame measured here, for every camera and frame); the running average's steps at the
 *   working size take about 90 µs together (blur 27, dilate 19, the rest 2-10 each, measured here);
 * - MOG2 reports most of the picture as foreground until its mixture has seen `history` frames; the running
 *   average is usable from the second frame;
 * - MOG2's per-pixel mixtures pay off for repetitive background motion (leaves, water), which at this size the
 *   blur, the threshold and the minimum area mostly absorb; the two knobs left (alpha, threshold) are ones a user
 *   can reason about.
 * The running average's known weakness is the "ghost": something in view while the background formed (a parked
 * car, videotestsrc's ball, which starts in the middle) that then leaves shows as motion where it stood until the
 * background forgets it, about ln(255 / threshold) / alpha frames (~115 with the defaults, 5-12 s on a camera).
 * Ghosts are told from movers by what a mover has and a ghost lacks, recent change: each changed blob (an outer
 * contour of the dilated mask) is kept only if some pixel in it also changed against the previous frame or the
 * one STILL_FRAMES back. A blob with none is still (a ghost, or something that stopped): it is not reported, and
 * the background takes the current frame under it at once (a masked accumulateWeighted with alpha 1), so it is
 * gone for good, not only hidden. A ghost is thus reported up to STILL_FRAMES frames after its pixels last changed
 * (which is real change), then never; so is a mover that stops dead. Why whole blobs:
 * - a uniform mover changes frame to frame only at its leading and trailing edges; gating pixels (background
 *   difference AND recent change) or absorbing pixels still for a few frames cuts a slow mover into two slivers,
 *   while its blob, which holds those edges, is kept whole;
 * - the frame-to-frame part is only looked at inside blobs, and runs only on frames with some change: ~20 µs of
 *   synchronous work on the working-size image, plus one masked update on the frame a still blob is dropped;
 * - the background keeps learning everywhere at alpha (no selective update, which would stop learning under
 *   swaying leaves or water and keep them as motion for ever), so what it absorbed before it still absorbs.
 * Left as before: a ghost joined to the blob of the mover leaving it (a slow object not yet its own length away)
 * is part of that mover's box until they part; a slow, high-contrast mover imprints a trail on the background
 * that is part of its box. STILL_FRAMES counts analysed frames, like backgroundAlpha, so its time depends on fps.
 *
 * Only the JPEG decode (libjpeg shrinking it on the way) runs on the thread pool. Every step after it runs on the
 * event loop: a trip to the pool costs more than the step (68 µs for thresholdAsync on an idle machine, measured
 * here), and far more when the cores are busy decoding cameras: with the steps on the pool, 12 cameras of 720p15
 * left 9-14 % of their frames unchecked with a third of a core idle.
 *
 * One instance per camera: it holds that camera's background.
 */
import type { Contour, Mat } from '@u4/opencv4nodejs';
import type { Detection } from '@vigil/contracts';
import { DecodedFrame, decodeJpegGray, type JpegReduction } from './decoded-frame';
import { boxArea, mergeBoxes, type PixelBox } from './motion-boxes';
import { opencv, releaseMats } from './opencv';

export const MOTION_LABEL = 'motion';
export const MOTION_CLASS_ID = 0;
/** a frame wider than this many working widths is shrunk on the thread pool (a full-size decoded frame) */
const SYNC_SHRINK_MAX = 2;

export interface MotionDetectorOptions {
  /** camera id, named in errors (detect's own `camera` argument wins) */
  camera?: string;
  /** width the frame is shrunk to before comparing, px: motion needs shapes, not detail (default 320) */
  width?: number;
  /** Gaussian blur kernel at that width, odd px: hides JPEG blocks and sensor grain (default 5) */
  blur?: number;
  /** grey levels (0-255) a pixel must differ from the background by to count as changed (default 25) */
  threshold?: number;
  /**
   * weight of each new frame in the running background (default 0.02): higher adapts faster to slow light changes
   * but lets slow movers imprint on the background and trail ghosts. Per analysed frame, so it depends on the fps.
   */
  backgroundAlpha?: number;
  /** dilation passes with a 3x3 ellipse, joining the pieces of one mover (default 2) */
  dilate?: number;
  /** smallest changed area kept, as a fraction of the frame (default 0.001, ~58 px of 320x180) */
  minAreaFraction?: number;
  /**
   * share of the frame that, changed at once, is taken for a lighting change (lights, IR switch, exposure)
   * rather than motion: no boxes, and the background restarts from that frame (default 0.6)
   */
  lightingChangeFraction?: number;
  /** frames after a start or reset that only teach the background and report nothing (default 2, at least 1) */
  warmupFrames?: number;
  /** boxes closer than this fraction of the frame width merge into one (default 0.02) */
  mergeDistance?: number;
  /** most boxes reported per frame, largest first (default 16) */
  maxBoxes?: number;
}

type Settings = Required<Omit<MotionDetectorOptions, 'camera'>>;

export const MOTION_DEFAULTS: Readonly<Settings> = Object.freeze({
  width: 320,
  blur: 5,
  threshold: 25,
  backgroundAlpha: 0.02,
  dilate: 2,
  minAreaFraction: 0.001,
  lightingChangeFraction: 0.6,
  warmupFrames: 2,
  mergeDistance: 0.02,
  maxBoxes: 16,
});

/** Contours looked at per frame, largest first: bounds the merge work on a frame full of noise. */
const MAX_CONTOURS = 100;

/**
 * A changed blob with no pixel that changed against the previous frame or this many frames back is still, and
 * joins the background: how many frames a ghost (or a mover that stopped dead) is reported after it went still.
 * 3 rides out a repeated frame or two from a stuttering stream, and gives a slow mover 3 frames of travel to show.
 */
const STILL_FRAMES = 3;

/**
 * Share of `threshold` a pixel must differ by from the previous frame, or the one STILL_FRAMES back, to count as
 * recent change in its blob. Lower than the blob's own threshold: an edge of a slow, low-contrast mover moves a
 * fraction of the blur's width per frame and changes by that fraction of its contrast; only blobs are searched for
 * it, so a little noise in them at worst keeps a ghost a while longer, as before.
 */
const RECENT_CHANGE_SHARE = 0.5;

/** A decoded frame (8-bit BGR or gray), its JPEG, or a DecodedFrame (its pixels if decoded, else its JPEG). */
export type MotionInput = Mat | Buffer | DecodedFrame;

export class MotionDetector {
  private readonly settings: Settings;
  private readonly camera?: string;
  private readonly kernel: Mat;
  /** running average of the blurred gray frames, CV_32FC1 at the working size */
  private background?: Mat;
  private framesSeen = 0;
  /** the last STILL_FRAMES working grays, oldest first, to tell still blobs from moving ones */
  private recent: Mat[] = [];
  /** the source frames' width, learnt from the first frame: picks how far libjpeg may shrink the next ones */
  private sourceWidth?: number;
  /** calls (reset too) run one after another, in call order: each reads and updates the background */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: MotionDetectorOptions = {}) {
    const { camera, ...rest } = options;
    this.settings = { ...MOTION_DEFAULTS, ...withoutUndefined(rest) };
    this.camera = camera;
    validate(this.settings);
    const cv = opencv();
    // tiny, built once: getStructuringElement has no async variant
    this.kernel = cv.getStructuringElement(cv.MORPH_ELLIPSE, new cv.Size(3, 3));
  }

  /**
   * Motion boxes in `input`, normalised to the frame, label `motion`, score = share of changed pixels in the box.
   * Empty while warming up, on a still scene, and on a lighting change. Calls queue up behind each other, so keep
   * a Mat passed in unreleased until the promise settles.
   */
  detect(input: MotionInput, camera?: string): Promise<Detection[]> {
    const run = this.queue.then(() => this.run(input, camera ?? this.camera ?? (input instanceof DecodedFrame ? input.camera : undefined)));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Forgets the background (after the camera moved or reconnected): frames passed to detect() after this call
   * warm up again; one already queued finishes against the old background.
   */
  reset(): void {
    this.queue = this.queue.then(() => {
      releaseMats(this.background, ...this.recent);
      this.background = undefined;
      this.recent = [];
      this.framesSeen = 0;
      this.sourceWidth = undefined;
    });
  }

  private async run(input: MotionInput, camera: string | undefined): Promise<Detection[]> {
    let gray: Mat | undefined;
    try {
      gray = await this.workingGray(input, camera);
      return this.compare(gray);
    } catch (error) {
      throw new Error(`motion detector${camera ? ` for camera ${camera}` : ''}: ${(error as Error).message}`, { cause: error });
    } finally {
      if (gray) this.remember(gray);
    }
  }

  /** Boxes of `gray` against the background, which it then updates. */
  private compare(gray: Mat): Detection[] {
    const cv = opencv();
    const s = this.settings;
    let reference: Mat | undefined;
    let diff: Mat | undefined;
    let mask: Mat | undefined;
    let dilated: Mat | undefined;
    let moved: Mat | undefined;
    let still: Mat | undefined;
    try {
      const background = this.background;
      if (!background || background.cols !== gray.cols || background.rows !== gray.rows) {
        // the first frame, or the camera changed resolution: start over from this frame
        this.restartBackground(gray);
        this.forgetRecent();
        this.framesSeen = 1;
        return [];
      }
      this.framesSeen++;
      if (this.framesSeen <= s.warmupFrames) {
        cv.accumulateWeighted(gray, background, s.backgroundAlpha);
        return [];
      }

      reference = background.convertTo(cv.CV_8U);
      diff = gray.absdiff(reference);
      cv.accumulateWeighted(gray, background, s.backgroundAlpha);
      mask = diff.threshold(s.threshold, 255, cv.THRESH_BINARY);
      const changedMask = mask;
      const { cols, rows } = changedMask;
      const pixels = cols * rows;
      const changed = mask.countNonZero();
      if (changed === 0) return [];
      if (changed > s.lightingChangeFraction * pixels) {
        this.restartBackground(gray);
        return [];
      }

      dilated = mask.dilate(this.kernel, new cv.Point2(-1, -1), s.dilate);
      const contours = dilated.findContours(cv.RETR_EXTERNAL, cv.CHAIN_APPROX_SIMPLE);
      const minArea = s.minAreaFraction * pixels;
      const blobs = contours
        .map((contour) => ({ contour, area: contour.area }))
        .filter(({ area }) => area >= minArea)
        .sort((a, b) => b.area - a.area)
        .slice(0, MAX_CONTOURS);
      if (blobs.length === 0) return [];

      moved = this.recentChange(gray, dilated);
      const pieces: PixelBox[] = [];
      const stillBlobs: Contour[] = [];
      for (const { contour } of blobs) {
        const rect = contour.boundingRect();
        // a region view, no copy; a rect can take in pixels of a neighbouring blob, which errs towards keeping
        if (moved.getRegion(rect).countNonZero() > 0) pieces.push(undoDilation(rect, s.dilate, cols, rows));
        else stillBlobs.push(contour);
      }
      if (stillBlobs.length > 0) {
        // the current frame is the background under a still blob: take it now rather than over ~115 frames
        // (Mat.zeros: new Mat(rows, cols, type, 0) fills pixel by pixel from JS, ~1.3 ms here)
        still = cv.Mat.zeros(rows, cols, cv.CV_8U);
        still.drawContours(stillBlobs.map((contour) => contour.getPoints()), -1, new cv.Vec3(255, 255, 255), { thickness: cv.FILLED });
        cv.accumulateWeighted(gray, background, 1, still);
      }
      const boxes = mergeBoxes(pieces, s.mergeDistance * cols)
        .sort((a, b) => boxArea(b) - boxArea(a))
        .slice(0, s.maxBoxes);
      return boxes.map((box) => this.toDetection(box, changedMask));
    } finally {
      releaseMats(reference, diff, mask, dilated, moved, still);
    }
  }

  /**
   * The pixels of the changed blobs (`dilated`) that also changed against the previous frame or the one
   * STILL_FRAMES back: 255 there, else 0. The caller releases it.
   *
   * All synchronous: on a ~320x180 gray image each step takes 3-5 µs of the event loop (measured), less than the
   * ~25 µs of it that a trip to the thread pool costs (thresholdAsync measured the same way).
   */
  private recentChange(gray: Mat, dilated: Mat): Mat {
    const cv = opencv();
    const previous = this.recent[this.recent.length - 1];
    const oldest = this.recent[0];
    if (!previous || !oldest) return dilated.copy(); // nothing to compare with: every blob counts as moving
    const steps: Mat[] = [];
    try {
      let change = gray.absdiff(previous);
      steps.push(change);
      if (oldest !== previous) {
        const sinceOldest = gray.absdiff(oldest);
        steps.push(sinceOldest);
        // the typings ask for a destination Mat, which the addon ignores: it returns a new one
        change = (cv.max as unknown as (a: Mat, b: Mat) => Mat)(change, sinceOldest);
        steps.push(change);
      }
      const changed = change.threshold(this.settings.threshold * RECENT_CHANGE_SHARE, 255, cv.THRESH_BINARY);
      steps.push(changed);
      return changed.bitwiseAnd(dilated);
    } finally {
      releaseMats(...steps);
    }
  }

  /** Keeps `gray` as the newest of the recent frames, dropping the oldest beyond STILL_FRAMES. */
  private remember(gray: Mat): void {
    this.recent.push(gray);
    while (this.recent.length > STILL_FRAMES) releaseMats(this.recent.shift());
  }

  private forgetRecent(): void {
    releaseMats(...this.recent);
    this.recent = [];
  }

  private toDetection(box: PixelBox, mask: Mat): Detection {
    const cv = opencv();
    // countNonZero on a region view (no copy) of at most the ~60k-pixel mask: microseconds, less than a trip to
    // the thread pool would cost
    const changed = mask.getRegion(new cv.Rect(box.x, box.y, box.width, box.height)).countNonZero();
    return {
      label: MOTION_LABEL,
      classId: MOTION_CLASS_ID,
      score: changed / boxArea(box),
      box: [box.x / mask.cols, box.y / mask.rows, (box.x + box.width) / mask.cols, (box.y + box.height) / mask.rows],
    };
  }

  private restartBackground(gray: Mat): void {
    const background = gray.convertTo(opencv().CV_32F);
    releaseMats(this.background);
    this.background = background;
  }

  /** The frame as blurred 8-bit gray at the working size; the caller releases it. */
  private async workingGray(input: MotionInput, camera: string | undefined): Promise<Mat> {
    const cv = opencv();
    let source: Mat;
    let owned: Mat | undefined;
    let reduction: JpegReduction = 1;
    if (input instanceof DecodedFrame && input.decoded) {
      source = input.decoded;
    } else if (input instanceof DecodedFrame || Buffer.isBuffer(input)) {
      const jpeg = input instanceof DecodedFrame ? input.jpeg : input;
      reduction = this.reductionFor(input instanceof DecodedFrame ? input.width : undefined);
      source = owned = await decodeJpegGray(jpeg, reduction, camera);
    } else {
      source = input;
    }
    const steps: Mat[] = [];
    try {
      if (source.empty || source.depth !== cv.CV_8U || (source.channels !== 1 && source.channels !== 3)) {
        throw new Error(`expected an 8-bit BGR or gray frame, got ${source.cols}x${source.rows} with ${source.channels} channel(s) of depth ${source.depth}`);
      }
      this.sourceWidth = source.cols * reduction;
      const width = Math.min(this.settings.width, source.cols);
      const height = Math.max(1, Math.round((source.rows * width) / source.cols));
      let current = source;
      // a full-size frame (one decoded for annotation) is shrunk on the thread pool; what libjpeg shrank already is
      // at most twice the working width, which takes microseconds here
      const large = current.cols > SYNC_SHRINK_MAX * width;
      if (current.cols !== width || current.rows !== height) {
        // INTER_AREA averages the pixels it drops: less aliasing noise to mistake for change
        current = large ? await current.resizeAsync(height, width, 0, 0, cv.INTER_AREA) : current.resize(height, width, 0, 0, cv.INTER_AREA);
        steps.push(current);
      }
      if (current.channels === 3) {
        current = current.cvtColor(cv.COLOR_BGR2GRAY);
        steps.push(current);
      }
      const blur = this.settings.blur;
      return current.gaussianBlur(new cv.Size(blur, blur), 0);
    } finally {
      releaseMats(owned, ...steps);
    }
  }

  /** The largest factor libjpeg may shrink by and still leave at least the working width; 1 until the width is known. */
  private reductionFor(frameWidth: number | undefined): JpegReduction {
    const width = frameWidth ?? this.sourceWidth;
    if (width === undefined) return 1;
    for (const factor of [8, 4, 2] as const) if (width / factor >= this.settings.width) return factor;
    return 1;
  }
}

/**
 * The box of the changed pixels inside a dilated contour's box: each 3x3 dilation pass grew it by one pixel a side,
 * except where the frame's edge cut it off.
 */
function undoDilation(box: PixelBox, passes: number, cols: number, rows: number): PixelBox {
  const left = box.x === 0 ? 0 : box.x + passes;
  const top = box.y === 0 ? 0 : box.y + passes;
  const right = box.x + box.width === cols ? cols : box.x + box.width - passes;
  const bottom = box.y + box.height === rows ? rows : box.y + box.height - passes;
  return { x: left, y: top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) };
}

function validate(s: Settings): void {
  const problems: string[] = [];
  const check = (ok: boolean, message: string): void => {
    if (!ok) problems.push(message);
  };
  check(Number.isInteger(s.width) && s.width >= 16, `width must be an integer >= 16, got ${s.width}`);
  check(Number.isInteger(s.blur) && s.blur >= 1 && s.blur % 2 === 1, `blur must be an odd integer >= 1, got ${s.blur}`);
  check(s.threshold > 0 && s.threshold < 255, `threshold must be between 0 and 255, got ${s.threshold}`);
  check(s.backgroundAlpha > 0 && s.backgroundAlpha <= 1, `backgroundAlpha must be in (0, 1], got ${s.backgroundAlpha}`);
  check(Number.isInteger(s.dilate) && s.dilate >= 0, `dilate must be an integer >= 0, got ${s.dilate}`);
  check(s.minAreaFraction >= 0 && s.minAreaFraction < 1, `minAreaFraction must be in [0, 1), got ${s.minAreaFraction}`);
  check(s.lightingChangeFraction > 0 && s.lightingChangeFraction <= 1, `lightingChangeFraction must be in (0, 1], got ${s.lightingChangeFraction}`);
  check(Number.isInteger(s.warmupFrames) && s.warmupFrames >= 1, `warmupFrames must be an integer >= 1, got ${s.warmupFrames}`);
  check(s.mergeDistance >= 0 && s.mergeDistance <= 1, `mergeDistance must be in [0, 1], got ${s.mergeDistance}`);
  check(Number.isInteger(s.maxBoxes) && s.maxBoxes >= 1, `maxBoxes must be an integer >= 1, got ${s.maxBoxes}`);
  if (problems.length > 0) throw new RangeError(`MotionDetector options: ${problems.join('; ')}`);
}

function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
