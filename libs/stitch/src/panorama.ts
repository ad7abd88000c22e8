/**
 * A loaded calibration and everything its frames need, worked out once: the warp matrix into input 1's bounding
 * box, the rectangles, the feathering weights. A frame is then two decodes, one warp, two copies, a blend of the
 * overlap strip only, an encode: no feature matching, and every pixel operation an `*Async` OpenCV call on libuv's
 * thread pool, so the event loop only schedules (see libs/media/src/opencv.ts for why not worker threads).
 *
 * Why a warp and not a precomputed `remap`: opencv4nodejs 7.1 binds no cv::remap. cv::warpPerspective with a fixed
 * matrix is OpenCV's own remap, the map computed block by block while it warps (a division per pixel, vectorised)
 * instead of read from two stored map images (8 bytes per pixel to stream through the cache). It warps into input
 * 1's bounding box only, not the whole panorama; input 0, which is only translated, is a copy.
 *
 * Why async calls on the main thread and not a child process: measured (bench/stitch.ts), the main thread spends
 * about 1.6 ms of CPU per 2238x720 panorama of 28 ms in all; a child would add a second OpenCV process (its own
 * 100+ MB) and copy every JPEG across a pipe to save that. Why feathering and not multi-band: on the test scene the
 * blended strip scores SSIM 0.970 against the scene, between the copied input 0 (0.983, its JPEG losses) and the
 * warped input 1 (0.965; 0.873 under a perspective, where the homography's error grows away from the strip): the
 * blend is not what loses detail, so pyramids would cost milliseconds per frame for nothing measurable.
 */
import type { Mat, Rect as CvRect } from '@u4/opencv4nodejs';
import { z } from 'zod';
import { opencv, releaseMats } from '@vigil/media/opencv';
import { agreementOf, DEFAULT_AGREEMENT_EVERY } from './agreement';
import { calibrate, type CalibrateOptions } from './calibrate';
import { StitchCalibrationError, StitchSizeChangedError } from './errors';
import { featherWeights } from './feather';
import { boundingRect, multiply, translation, uncovered } from './geometry';
import { announcedSize, decodeInput } from './jpeg-input';
import { layOut, type PanoramaLayout } from './layout';
import { DEFAULT_STITCH_LIMITS } from './limits';
import { parseStitchCalibration } from './schema';
import type { CalibrationOutcome, Rect, RenderedPanorama, Size, StitchCalibration } from './types';

export interface PanoramaOptions {
  /** JPEG quality of the panorama, 1..100; 80 (a camera's default jpegQuality) */
  jpegQuality?: number;
  /** agreement is measured on the first frame and every this many frames after it; DEFAULT_AGREEMENT_EVERY (10) */
  agreementEvery?: number;
}

const optionsSchema = z.object({
  jpegQuality: z.number().int().min(1).max(100).default(80),
  agreementEvery: z.number().int().min(1).max(1_000_000).default(DEFAULT_AGREEMENT_EVERY),
});

/** The Mats and rectangles a frame needs, made at load. */
interface RenderPlan {
  /** input 1 -> its bounding box in the panorama */
  toBox: Mat;
  box: CvRect;
  first: CvRect;
  /** panorama pixels neither input reaches: painted black */
  blank: CvRect[];
  overlap: CvRect;
  overlapInFirst: CvRect;
  overlapInBox: CvRect;
  weights: [Mat, Mat];
  agreementInFirst: CvRect;
  agreementInBox: CvRect;
}

export class Panorama {
  private frames = 0;
  private released = false;

  private constructor(
    /** the checked calibration this panorama renders, its layout as recomputed from the homography */
    readonly calibration: StitchCalibration,
    private readonly plan: RenderPlan,
    private readonly options: Required<PanoramaOptions>,
  ) {}

  /** See `calibrate`: never throws, a pair that cannot be stitched is `{ ok: false, reason }`. */
  static calibrate(first: Buffer, second: Buffer, options?: CalibrateOptions): Promise<CalibrationOutcome> {
    return calibrate(first, second, options);
  }

  /**
   * Checks `calibration` (hostile: read back from Redis) with stitchCalibrationSchema and precomputes its render plan.
   * Throws StitchCalibrationError naming the bad fields, or for bad options.
   */
  static async load(calibration: unknown, options: PanoramaOptions = {}): Promise<Panorama> {
    const settings = optionsSchema.safeParse(options);
    if (!settings.success) throw new StitchCalibrationError(`bad panorama options: ${settings.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const checked = parseStitchCalibration(calibration);
    // the schema has just laid it out the same way; its layout (not the stored numbers) is what renders
    const placed = layOut(multiply(translation(-checked.offset.x, -checked.offset.y), checked.homography), checked.inputs, DEFAULT_STITCH_LIMITS);
    if (!placed.ok) throw new StitchCalibrationError(`the stitch calibration is refused: ${placed.reason}`);
    const { layout } = placed;
    // the record may be a pixel off the recomputed layout (the schema's tolerance); what renders is the layout
    const consistent = { ...checked, homography: layout.homography, offset: layout.offset, output: layout.output, overlap: layout.overlap };
    return new Panorama(consistent, await renderPlan(layout), settings.data);
  }

  get width(): number {
    return this.calibration.output.width;
  }

  get height(): number {
    return this.calibration.output.height;
  }

  /**
   * One panorama from one JPEG of each input. Throws StitchSizeChangedError when an input is not the size it was
   * calibrated for (calibrate again), StitchInputError for a frame that is not a decodable JPEG (drop it).
   */
  async render(first: Buffer, second: Buffer): Promise<RenderedPanorama> {
    if (this.released) throw new Error('Panorama.render: the panorama was released');
    const sizes = [this.expect(first, 0), this.expect(second, 1)] as const;
    const measure = this.frames++ % this.options.agreementEvery === 0;
    const cv = opencv();
    const plan = this.plan;
    const mats: Mat[] = [];
    const regions: Mat[] = [];
    const region = (mat: Mat, rect: CvRect): Mat => {
      const part = mat.getRegion(rect);
      regions.push(part);
      return part;
    };
    try {
      const decoded = await Promise.allSettled([decodeInput(first, 0, sizes[0], 'color'), decodeInput(second, 1, sizes[1], 'color')]);
      for (const result of decoded) if (result.status === 'fulfilled') mats.push(result.value);
      for (const result of decoded) if (result.status === 'rejected') throw result.reason;
      const [image0, image1] = mats as [Mat, Mat];
      const warped = await image1.warpPerspectiveAsync(plan.toBox, new cv.Size(plan.box.width, plan.box.height), cv.INTER_LINEAR, cv.BORDER_CONSTANT);
      mats.push(warped);
      // the agreement only reads the decoded pixels: it runs beside the rest of the frame
      const agreement = measure ? agreementOf(region(image0, plan.agreementInFirst), region(warped, plan.agreementInBox)) : Promise.resolve(undefined);
      agreement.catch(() => undefined); // awaited below; this keeps an earlier failure from leaving it unhandled
      const out = new cv.Mat(this.height, this.width, cv.CV_8UC3);
      mats.push(out);
      const [blended] = await Promise.all([
        this.blend(image0, warped, region, mats),
        ...plan.blank.map((rect) => region(out, rect).setToAsync(new cv.Vec3(0, 0, 0))),
      ]);
      // input 1's box first, then input 0 over it: where the box is not input 1 (its black corners), input 0 shows
      await warped.copyToAsync(region(out, plan.box));
      await image0.copyToAsync(region(out, plan.first));
      await blended.copyToAsync(region(out, plan.overlap));
      const jpeg = await cv.imencodeAsync('.jpg', out, [cv.IMWRITE_JPEG_QUALITY, this.options.jpegQuality]);
      const measured = await agreement;
      return { jpeg, width: this.width, height: this.height, ...(measured === undefined ? {} : { agreement: measured }) };
    } finally {
      releaseMats(...regions, ...mats);
    }
  }

  /** Frees the precomputed Mats now; render() refuses afterwards. */
  release(): void {
    if (this.released) return;
    this.released = true;
    releaseMats(this.plan.toBox, ...this.plan.weights);
  }

  /** The overlap strip, feathered: input 0 x its weight + input 1 x its weight, in float, back to 8 bits. */
  private async blend(image0: Mat, warped: Mat, region: (mat: Mat, rect: CvRect) => Mat, mats: Mat[]): Promise<Mat> {
    const cv = opencv();
    const { overlap, weights } = this.plan;
    const sum = new cv.Mat(overlap.height, overlap.width, cv.CV_32FC3);
    mats.push(sum);
    await sum.setToAsync(new cv.Vec3(0, 0, 0));
    await cv.accumulateProductAsync(region(image0, this.plan.overlapInFirst), weights[0], sum);
    await cv.accumulateProductAsync(region(warped, this.plan.overlapInBox), weights[1], sum);
    const blended = await sum.convertToAsync(cv.CV_8UC3, 1 / 255);
    mats.push(blended);
    return blended;
  }

  private expect(jpeg: Buffer, input: 0 | 1): Size {
    const expected = this.calibration.inputs[input];
    const actual = announcedSize(jpeg, input, DEFAULT_STITCH_LIMITS);
    if (actual.width !== expected.width || actual.height !== expected.height) throw new StitchSizeChangedError(input, expected, actual);
    return expected;
  }
}

async function renderPlan(layout: PanoramaLayout): Promise<RenderPlan> {
  const cv = opencv();
  const output: Rect = { x: 0, y: 0, ...layout.output };
  const box = boundingRect(layout.quad, output);
  const weights = await featherWeights(layout);
  const rect = (r: Rect): CvRect => new cv.Rect(r.x, r.y, r.width, r.height);
  const within = (r: Rect, origin: { x: number; y: number }): CvRect => new cv.Rect(r.x - origin.x, r.y - origin.y, r.width, r.height);
  const toBox = multiply(translation(-box.x, -box.y), layout.homography);
  return {
    toBox: new cv.Mat([toBox.slice(0, 3), toBox.slice(3, 6), toBox.slice(6, 9)], cv.CV_64F),
    box: rect(box),
    first: rect(layout.first),
    blank: uncovered(output, [box, layout.first]).map(rect),
    overlap: rect(layout.overlap),
    overlapInFirst: within(layout.overlap, layout.first),
    overlapInBox: within(layout.overlap, box),
    weights: [
      new cv.Mat(weights.first, weights.height, weights.width, cv.CV_8UC3),
      new cv.Mat(weights.second, weights.height, weights.width, cv.CV_8UC3),
    ],
    agreementInFirst: within(layout.agreement, layout.first),
    agreementInBox: within(layout.agreement, box),
  };
}
