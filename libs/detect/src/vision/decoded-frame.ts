/**
 * JPEG decoding for the inference process: each frame is decoded at most once, and the steps that need its pixels
 * (motion, letterbox, annotation) share that one Mat.
 */
import type { Mat } from '@u4/opencv4nodejs';
import { opencv } from './opencv';

export class FrameDecodeError extends Error {
  override name = 'FrameDecodeError';
}

/** The factors libjpeg can scale by while it decodes (DCT scaling: far cheaper than decoding, then resizing). */
export type JpegReduction = 1 | 2 | 4 | 8;

/** Decodes a JPEG into a BGR Mat on libuv's thread pool. Throws FrameDecodeError naming the camera. */
export async function decodeJpeg(jpeg: Buffer, camera?: string): Promise<Mat> {
  const cv = opencv();
  return checked(await cv.imdecodeAsync(jpeg, cv.IMREAD_COLOR), jpeg, camera);
}

/**
 * Decodes a JPEG straight to gray at 1/`reduction` of its size: a 1080p frame at 1/4 decodes several times faster
 * than in full colour, which is all the motion detector needs.
 */
export async function decodeJpegGray(jpeg: Buffer, reduction: JpegReduction, camera?: string): Promise<Mat> {
  const cv = opencv();
  const flags: Record<JpegReduction, number> = {
    1: cv.IMREAD_GRAYSCALE,
    2: cv.IMREAD_REDUCED_GRAYSCALE_2,
    4: cv.IMREAD_REDUCED_GRAYSCALE_4,
    8: cv.IMREAD_REDUCED_GRAYSCALE_8,
  };
  return checked(await cv.imdecodeAsync(jpeg, flags[reduction]), jpeg, camera);
}

function checked(mat: Mat, jpeg: Buffer, camera: string | undefined): Mat {
  // OpenCV answers undecodable bytes with an empty Mat, not an error
  if (mat.empty) throw new FrameDecodeError(`${camera ? `camera ${camera}: ` : ''}${jpeg.length} bytes are not a decodable JPEG`);
  return mat;
}

/** What DecodedFrame needs of a frame; a `Frame` from `@vigil/contracts` fits. */
export interface JpegFrame {
  data: Buffer;
  camera?: string;
  /** the size the envelope announces, known before decoding */
  width?: number;
  height?: number;
}

/** One frame's JPEG and, once some step asked for them, its decoded BGR pixels, shared by every later step. */
export class DecodedFrame {
  private decoding?: Promise<Mat>;
  private mat?: Mat;

  constructor(private readonly frame: JpegFrame) {}

  get jpeg(): Buffer {
    return this.frame.data;
  }

  get camera(): string | undefined {
    return this.frame.camera;
  }

  get width(): number | undefined {
    return this.mat?.cols ?? this.frame.width;
  }

  get height(): number | undefined {
    return this.mat?.rows ?? this.frame.height;
  }

  /** The BGR pixels if some step has already decoded them; undefined otherwise (nothing is decoded here). */
  get decoded(): Mat | undefined {
    return this.mat;
  }

  /** The full-size BGR pixels, decoded on the first call; later calls share that Mat. Treat it as read-only. */
  bgr(): Promise<Mat> {
    if (this.decoding) return this.decoding;
    const decoding: Promise<Mat> = decodeJpeg(this.frame.data, this.frame.camera).then(
      (mat) => {
        if (this.decoding === decoding) this.mat = mat; // not when release() came in between
        return mat;
      },
      (error: unknown) => {
        if (this.decoding === decoding) this.decoding = undefined; // a later call may try again
        throw error;
      },
    );
    this.decoding = decoding;
    return decoding;
  }

  /** Frees the decoded pixels now rather than at some later garbage collection; a later `bgr()` decodes again. */
  release(): void {
    this.mat?.release();
    this.mat = undefined;
    this.decoding = undefined;
  }
}
