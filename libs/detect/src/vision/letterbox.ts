/**
 * Model input from frames: Ultralytics-style letterbox (aspect ratio kept, centred, grey 114 padding) into
 * float32 NCHW RGB scaled to 0..1, the layout YOLO exports expect.
 *
 * Every pixel step runs on libuv's thread pool, and the last one writes straight into the caller's Float32Array
 * (the plane Mats wrap its memory), so the event loop neither converts nor copies a pixel.
 */
import type { Mat } from '@u4/opencv4nodejs';
import { letterboxGeometry, type LetterboxGeometry } from '../yolo/letterbox';
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
  let padded: Mat | undefined;
  let bgr: Mat[] = [];
  let planes: Mat[] = [];
  try {
    if (newW !== image.cols || newH !== image.rows) resized = await image.resizeAsync(newH, newW, 0, 0, cv.INTER_LINEAR);
    const pad = new cv.Vec3(LETTERBOX_PAD, LETTERBOX_PAD, LETTERBOX_PAD);
    padded = await (resized ?? image).copyMakeBorderAsync(padY, height - newH - padY, padX, width - newW - padX, cv.BORDER_CONSTANT, pad);
    bgr = await padded.splitChannelsAsync();
    // accumulateWeighted computes dst = (1 - a) * dst + a * src, so on a zeroed plane with a = 1/255 it writes
    // src / 255 as float32: convert, scale and HWC -> CHW in one pass per channel, straight into `target`.
    // The zeroing is a memset on this thread (~0.05 ms for 640x640x3).
    target.fill(0, offset, offset + 3 * plane);
    planes = [0, 1, 2].map((channel) => wrapPlane(target, offset + channel * plane, width, height));
    // planes are R, G, B; split gave B, G, R
    await Promise.all(planes.map((rgbPlane, channel) => cv.accumulateWeightedAsync(bgr[2 - channel]!, rgbPlane, 1 / 255)));
  } finally {
    releaseMats(resized, padded, ...bgr, ...planes);
  }
  return geometry;
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
