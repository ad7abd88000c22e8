/**
 * Model input from frames: Ultralytics-style letterbox (aspect ratio kept, centred, grey 114 padding) into
 * float32 NCHW RGB scaled to 0..1, the layout YOLO exports expect.
 *
 * Every pixel step runs on libuv's thread pool, and the last one writes straight into the caller's Float32Array
 * (the plane Mats wrap its memory), so the event loop neither converts nor copies a pixel.
 */
import type { Mat } from '@u4/opencv4nodejs';
import { letterboxGeometry, type LetterboxGeometry } from '../yolo/letterbox';
import { reducedSize, type DecodedFrame, type JpegReduction } from './decoded-frame';
import { opencv, releaseMats } from './opencv';

/** The model's input size: one number for a square input, else width and height. */
export type InputSize = number | { width: number; height: number };

/** Grey level of the padding (Ultralytics' value; 114/255 once scaled). */
export const LETTERBOX_PAD = 114;

export interface LetterboxedImage {
  /** [1, 3, height, width], RGB, 0..1 */
  data: Float32Array;
  geometry: LetterboxGeometry;
}

export interface LetterboxedBatch {
  /** [batch, 3, height, width], RGB, 0..1; a view of the caller's buffer when one was given */
  data: Float32Array;
  /** geometry of image i, for mapping its boxes back (`toFrameBox`) */
  geometries: LetterboxGeometry[];
  batch: number;
  height: number;
  width: number;
}

/**
 * How far libjpeg may shrink a `width` x `height` frame while decoding it for a model input of `size`: the largest
 * factor that still leaves the letterbox only shrinking (a 1080p frame for 640x640: 2, decoded at 960x540). The model
 * sees no fewer pixels than from a full-size decode, and the decode costs a fraction of one.
 */
export function jpegReductionFor(width: number, height: number, size: InputSize): JpegReduction {
  const input = inputSize(size);
  for (const reduction of [8, 4, 2] as const) {
    const reduced = reducedSize(width, height, reduction);
    if (letterboxGeometry(reduced.width, reduced.height, input.width, input.height).scale <= 1) return reduction;
  }
  return 1;
}

/**
 * A frame's pixels for a model input of `size`: its full-size decode when one is done or under way (a step that
 * needs it, such as annotation, asked first: one decode, not two), else a decode reduced by `jpegReductionFor`.
 * Read the size the boxes are normalised against off the Mat.
 */
export function decodeForInput(frame: DecodedFrame, size: InputSize): Promise<Mat> {
  const { width, height } = frame;
  return frame.bgr(width && height ? jpegReductionFor(width, height, size) : 1);
}

/** Letterboxes one 8-bit BGR image into a new Float32Array. */
export async function letterbox(image: Mat, size: InputSize): Promise<LetterboxedImage> {
  const { width, height } = inputSize(size);
  const data = new Float32Array(3 * width * height);
  const geometry = await letterboxInto(image, size, data, 0);
  return { data, geometry };
}

/**
 * Letterboxes several images into one [B, 3, H, W] tensor, in parallel on the thread pool. Pass `target` to reuse
 * a buffer from batch to batch: it must hold at least `images.length` images; what comes back is a view of its
 * first `images.length` images.
 */
export async function letterboxBatch(images: readonly Mat[], size: InputSize, target?: Float32Array): Promise<LetterboxedBatch> {
  const { width, height } = inputSize(size);
  const length = images.length * 3 * width * height;
  const data = target ?? new Float32Array(length);
  if (data.length < length) {
    throw new RangeError(`letterboxBatch: the buffer holds ${data.length} floats, ${images.length} images of ${width}x${height} need ${length}`);
  }
  const geometries = await Promise.all(images.map((image, index) => letterboxInto(image, size, data, index)));
  return { data: data.length === length ? data : data.subarray(0, length), geometries, batch: images.length, height, width };
}

/**
 * Letterboxes one 8-bit BGR image into image slot `index` of `target` ([B, 3, H, W]); every float of that slot is
 * overwritten. The image is only read. Keep `target` alive until this resolves (it does, as an argument).
 */
export async function letterboxInto(image: Mat, size: InputSize, target: Float32Array, index = 0): Promise<LetterboxGeometry> {
  const cv = opencv();
  const { width, height } = inputSize(size);
  if (image.empty || image.channels !== 3 || image.depth !== cv.CV_8U) {
    throw new Error(`letterbox: expected an 8-bit BGR image, got ${image.cols}x${image.rows} with ${image.channels} channel(s) of depth ${image.depth}`);
  }
  const plane = width * height;
  const offset = index * 3 * plane;
  if (!Number.isInteger(index) || index < 0 || offset + 3 * plane > target.length) {
    throw new RangeError(`letterbox: image ${index} of ${width}x${height} does not fit a buffer of ${target.length} floats`);
  }

  const geometry = letterboxGeometry(image.cols, image.rows, width, height);
  const { newW, newH, padX, padY } = geometry;
  let resized: Mat | undefined;
  let bgr: Mat[] = [];
  let planes: Mat[] = [];
  let regions: Mat[] = [];
  try {
    if (newW !== image.cols || newH !== image.rows) resized = await image.resizeAsync(newH, newW, 0, 0, cv.INTER_LINEAR);
    bgr = await (resized ?? image).splitChannelsAsync();
    planes = [0, 1, 2].map((channel) => wrapPlane(target, offset + channel * plane, width, height));
    // the image goes into its rectangle of each plane and the padding is painted around it, so no pixel of the
    // padding is resized, split or converted (it is 44 % of a 16:9 frame's input)
    const inside = new cv.Rect(padX, padY, newW, newH);
    regions = planes.map((rgbPlane) => rgbPlane.getRegion(inside));
    await Promise.all([
      ...planes.flatMap((rgbPlane) => paddingRects(geometry, width, height).map((rect) => paintPadding(rgbPlane, rect))),
      // accumulateWeighted computes dst = (1 - a) * dst + a * src, so on a zeroed rectangle with a = 1/255 it writes
      // src / 255 as float32: convert, scale and HWC -> CHW in one pass per channel, straight into `target`;
      // planes are R, G, B, split gave B, G, R
      ...regions.map(async (region, channel) => {
        await region.setToAsync(0);
        await cv.accumulateWeightedAsync(bgr[2 - channel]!, region, 1 / 255);
      }),
    ]);
  } finally {
    releaseMats(resized, ...bgr, ...regions, ...planes);
  }
  return geometry;
}

/** The padding around the image: above and below it, then left and right of it (empty rectangles left out). */
function paddingRects({ newW, newH, padX, padY }: LetterboxGeometry, width: number, height: number): { x: number; y: number; width: number; height: number }[] {
  return [
    { x: 0, y: 0, width, height: padY },
    { x: 0, y: padY + newH, width, height: height - padY - newH },
    { x: 0, y: padY, width: padX, height: newH },
    { x: padX + newW, y: padY, width: width - padX - newW, height: newH },
  ].filter((rect) => rect.width > 0 && rect.height > 0);
}

async function paintPadding(rgbPlane: Mat, { x, y, width, height }: { x: number; y: number; width: number; height: number }): Promise<void> {
  const cv = opencv();
  const region = rgbPlane.getRegion(new cv.Rect(x, y, width, height));
  try {
    await region.setToAsync(LETTERBOX_PAD / 255);
  } finally {
    releaseMats(region);
  }
}

/** A float32 Mat over `height * width` floats of `target` from `start`: OpenCV writes into it, nothing is copied. */
function wrapPlane(target: Float32Array, start: number, width: number, height: number): Mat {
  const cv = opencv();
  const bytes = Buffer.from(target.buffer, target.byteOffset + start * Float32Array.BYTES_PER_ELEMENT, width * height * Float32Array.BYTES_PER_ELEMENT);
  // this constructor wraps the memory without owning it: `target` must outlive the Mat's use, which the caller's
  // await guarantees
  return new cv.Mat(height, width, cv.CV_32FC1, bytes);
}

function inputSize(size: InputSize): { width: number; height: number } {
  const { width, height } = typeof size === 'number' ? { width: size, height: size } : size;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`letterbox: the input size must be positive integers, got ${width}x${height}`);
  }
  return { width, height };
}
