/**
 * Input frames are hostile bytes: their JPEG header is read (and bounded) before anything is decoded, because a
 * 300-byte JPEG can announce 65535 x 65535 pixels, and OpenCV's decode failures become our typed error.
 */
import type { Mat } from '@u4/opencv4nodejs';
import { jpegSize } from '@vigil/contracts';
import { opencv } from '@vigil/media/opencv';
import { StitchInputError } from './errors';
import type { StitchLimits } from './limits';
import type { Size } from './types';

/** The size `jpeg`'s header announces, checked against the input limits; throws StitchInputError. */
export function announcedSize(jpeg: Buffer, input: 0 | 1, limits: Pick<StitchLimits, 'minInput' | 'maxInput'>): Size {
  const size = Buffer.isBuffer(jpeg) ? jpegSize(jpeg) : undefined;
  if (!size) throw new StitchInputError(input, 'not-jpeg', `input ${input} is not a JPEG (${Buffer.isBuffer(jpeg) ? `${jpeg.length} bytes without a frame header` : 'not bytes'})`);
  const { minInput: min, maxInput: max } = limits;
  if (size.width < min.width || size.height < min.height) {
    throw new StitchInputError(input, 'out-of-bounds', `input ${input} is ${size.width}x${size.height}; at least ${min.width}x${min.height}`);
  }
  if (size.width > max.width || size.height > max.height) {
    throw new StitchInputError(input, 'out-of-bounds', `input ${input} is ${size.width}x${size.height}; at most ${max.width}x${max.height}`);
  }
  // libjpeg decodes a cut-off JPEG without a word, its missing rows grey: a frame cut short in transit would stitch
  // (or calibrate) as a grey band
  if (!endsAsJpeg(jpeg)) throw new StitchInputError(input, 'undecodable', `input ${input}: ${jpeg.length} bytes end without the JPEG end-of-image marker (cut short?)`);
  return size;
}

/** Encoders may pad after the end-of-image marker; this far back it is still found. */
const EOI_SEARCH = 32;

function endsAsJpeg(jpeg: Buffer): boolean {
  for (let at = jpeg.length - 2; at >= Math.max(2, jpeg.length - EOI_SEARCH); at--) if (jpeg[at] === 0xff && jpeg[at + 1] === 0xd9) return true;
  return false;
}

/** libjpeg's DCT scaling factors (decoding at 1/2 costs a fraction of decoding and then resizing). */
export type Reduction = 1 | 2 | 4 | 8;

/**
 * Decodes on libuv's thread pool, BGR or gray, at 1/`reduction`; the result must be `expected` (the header's size,
 * reduced as libjpeg rounds: up). Throws StitchInputError('undecodable').
 */
export async function decodeInput(jpeg: Buffer, input: 0 | 1, expected: Size, mode: 'color' | 'gray', reduction: Reduction = 1): Promise<Mat> {
  const cv = opencv();
  const flags = mode === 'color'
    ? { 1: cv.IMREAD_COLOR, 2: cv.IMREAD_REDUCED_COLOR_2, 4: cv.IMREAD_REDUCED_COLOR_4, 8: cv.IMREAD_REDUCED_COLOR_8 }
    : { 1: cv.IMREAD_GRAYSCALE, 2: cv.IMREAD_REDUCED_GRAYSCALE_2, 4: cv.IMREAD_REDUCED_GRAYSCALE_4, 8: cv.IMREAD_REDUCED_GRAYSCALE_8 };
  let mat: Mat;
  try {
    mat = await cv.imdecodeAsync(jpeg, flags[reduction]);
  } catch (error) {
    throw new StitchInputError(input, 'undecodable', `input ${input}: ${jpeg.length} bytes do not decode as a JPEG (${(error as Error).message})`);
  }
  const width = Math.ceil(expected.width / reduction);
  const height = Math.ceil(expected.height / reduction);
  if (mat.empty || mat.cols !== width || mat.rows !== height) {
    const got = mat.empty ? 'nothing' : `${mat.cols}x${mat.rows}`;
    mat.release();
    // OpenCV answers undecodable bytes with an empty Mat, not an error
    throw new StitchInputError(input, 'undecodable', `input ${input}: ${jpeg.length} bytes do not decode as the ${expected.width}x${expected.height} JPEG their header announces (got ${got})`);
  }
  return mat;
}
