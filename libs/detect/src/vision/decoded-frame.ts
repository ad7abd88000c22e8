/**
 * JPEG decoding for the inference process: each frame is decoded at most once per size, and the steps that need its
 * pixels (motion, letterbox, annotation) share those Mats.
 */
import type { Mat } from '@u4/opencv4nodejs';
import { opencv } from './opencv';

export class FrameDecodeError extends Error {
  override name = 'FrameDecodeError';
}

/** The factors libjpeg can scale by while it decodes (DCT scaling: far cheaper than decoding, then resizing). */
export type JpegReduction = 1 | 2 | 4 | 8;

/** Decodes a JPEG into a BGR Mat on libuv's thread pool, at 1/`reduction` of its size. Throws FrameDecodeError naming the camera. */
export async function decodeJpeg(jpeg: Buffer, camera?: string, reduction: JpegReduction = 1): Promise<Mat> {
  const cv = opencv();
  const flags: Record<JpegReduction, number> = {
    1: cv.IMREAD_COLOR,
    2: cv.IMREAD_REDUCED_COLOR_2,
    4: cv.IMREAD_REDUCED_COLOR_4,
    8: cv.IMREAD_REDUCED_COLOR_8,
  };
  return checked(await decoding(cv.imdecodeAsync(jpeg, flags[reduction]), jpeg, camera), jpeg, camera);
}

/** The size libjpeg gives a `width` x `height` JPEG decoded at 1/`reduction` (it rounds up). */
export function reducedSize(width: number, height: number, reduction: JpegReduction): { width: number; height: number } {
  return { width: Math.ceil(width / reduction), height: Math.ceil(height / reduction) };
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
  return checked(await decoding(cv.imdecodeAsync(jpeg, flags[reduction]), jpeg, camera), jpeg, camera);
}

/** OpenCV throws for some bad input (a header announcing an image too large to allocate): that is the frame's fault too. */
async function decoding(decode: Promise<Mat>, jpeg: Buffer, camera: string | undefined): Promise<Mat> {
  try {
    return await decode;
  } catch (error) {
    throw new FrameDecodeError(`${camera ? `camera ${camera}: ` : ''}${jpeg.length} bytes do not decode as a JPEG (${(error as Error).message})`);
  }
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

/**
 * One frame's JPEG and the BGR pixels some step asked for, shared by every later step: the full size (annotation
 * draws on it) and, where a step is content with fewer pixels (the model input), a cheaper reduced decode.
 */
export class DecodedFrame {
  private readonly decodes = new Map<JpegReduction, { decoding: Promise<Mat>; mat?: Mat }>();

  constructor(private readonly frame: JpegFrame) {}

  get jpeg(): Buffer {
    return this.frame.data;
  }

  get camera(): string | undefined {
    return this.frame.camera;
  }

  /** The full size: the decoded one, else what the envelope announces. */
  get width(): number | undefined {
    return this.decodes.get(1)?.mat?.cols ?? this.frame.width;
  }

  get height(): number | undefined {
    return this.decodes.get(1)?.mat?.rows ?? this.frame.height;
  }

  /** The full-size BGR pixels if some step has already decoded them; undefined otherwise (nothing is decoded here). */
  get decoded(): Mat | undefined {
    return this.decodes.get(1)?.mat;
  }

  /**
   * The BGR pixels at 1/`reduction` of the full size, decoded on the first call; later calls share that Mat. A full-size
   * decode, done or under way, answers every reduction: one decode is cheaper than two, so read the size off the Mat.
   * Treat the Mat as read-only.
   */
  bgr(reduction: JpegReduction = 1): Promise<Mat> {
    const existing = this.decodes.get(1) ?? this.decodes.get(reduction);
    if (existing) return existing.decoding;
    const entry: { decoding: Promise<Mat>; mat?: Mat } = {
      decoding: decodeJpeg(this.frame.data, this.frame.camera, reduction).then(
        (mat) => {
          if (this.decodes.get(reduction) === entry) entry.mat = mat; // not when release() came in between
          return mat;
        },
        (error: unknown) => {
          if (this.decodes.get(reduction) === entry) this.decodes.delete(reduction); // a later call may try again
          throw error;
        },
      ),
    };
    this.decodes.set(reduction, entry);
    return entry.decoding;
  }

  /** Frees the decoded pixels now rather than at some later garbage collection; a later `bgr()` decodes again. */
  release(): void {
    for (const { mat } of this.decodes.values()) mat?.release();
    this.decodes.clear();
  }
}
