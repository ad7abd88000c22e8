/**
 * The one place that touches OpenCV's VideoCapture. It runs inside a capture process, beside the process's other
 * cameras. Opening returns once the pipeline plays: at once for a live source (it does not preroll), after the
 * first decoded frame for a file. Reads wait on libuv's thread pool.
 */
import type { Mat, VideoCapture } from '@u4/opencv4nodejs';
import { opencv } from '../opencv';

export class CaptureOpenError extends Error {
  override name = 'CaptureOpenError';
}

export class OpenCvCapture {
  private closed = false;

  private constructor(private readonly capture: VideoCapture) {}

  /** Opens a GStreamer pipeline that ends in an appsink of JPEG frames. Blocks until it plays or fails. */
  static open(launch: string): OpenCvCapture {
    const lib = opencv();
    try {
      return new OpenCvCapture(new lib.VideoCapture(launch, lib.CAP_GSTREAMER));
    } catch (error) {
      throw new CaptureOpenError((error as Error).message);
    }
  }

  /** Resolves with the next JPEG, or undefined at the end of the stream or on a pipeline error. */
  async readJpeg(): Promise<Buffer | undefined> {
    const mat: Mat = await this.capture.readAsync();
    if (mat.empty) return undefined;
    // with image/jpeg caps OpenCV hands over the encoded bytes as a 1-row Mat; copy them out and free
    // the Mat now: with memory tracking off (see ../opencv) V8 would not know to collect it soon
    const jpeg = mat.getData();
    mat.release();
    return jpeg;
  }

  /** Stops and frees the pipeline; again is a no-op. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.capture.release();
  }
}
