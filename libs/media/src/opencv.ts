/**
 * The one place any vigil process loads OpenCV's addon (`@u4/opencv4nodejs`): capture processes and inference.
 *
 * The addon keeps per-process state that cannot be loaded into several worker threads, so it lives on the main
 * thread, and every heavy call goes through its `*Async` variant, which runs on libuv's thread pool
 * (`UV_THREADPOOL_SIZE`, 4 by default) and leaves the event loop free.
 */
import type { Mat } from '@u4/opencv4nodejs';

export type OpenCv = typeof import('@u4/opencv4nodejs').default;

let cv: OpenCv | undefined;

/** The addon, loaded on first use (a process that never decodes a frame never pays for it). */
export function opencv(): OpenCv {
  if (!cv) {
    // The addon's "external memory tracking" tells V8 about every Mat it frees, also from inside the garbage
    // collector's finalisers; on Node 20 that aborts the process ("Check failed: marking_done_", see
    // UrielCh/opencv4nodejs#148 and #134). A loop of letterbox calls hit it within seconds. The addon reads this
    // variable once, when it loads; the cost is that V8 no longer sees Mat memory, so hot paths release their
    // temporary Mats themselves (`releaseMats`).
    process.env.OPENCV4NODEJS_DISABLE_EXTERNAL_MEM_TRACKING = '1';
    // the addon logs 7 "Info" lines on load unless its builder is silenced first
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@u4/opencv-build').Log.silence = true;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require('@u4/opencv4nodejs') as OpenCv & { default?: OpenCv };
    const lib = loaded.default ?? loaded;
    if (lib.isCustomMatAllocatorEnabled()) {
      // Another module loaded the addon first, without the variable. It cannot be switched off now: the addon's
      // dangerousDisableCustomMatAllocator() leaves OpenCV with no allocator and the next Mat segfaults (tried).
      process.emitWarning(
        'OpenCV was loaded before OPENCV4NODEJS_DISABLE_EXTERNAL_MEM_TRACKING was set; on Node 20 its memory tracking can abort the process during garbage collection. Load it through libs/media/src/opencv.ts first.',
        { code: 'VIGIL_OPENCV_MEM_TRACKING' },
      );
    }
    cv = lib;
  }
  return cv;
}

/**
 * Frees the pixels of Mats that are no longer needed now, instead of whenever V8 collects their small JS wrappers
 * (it cannot see their size). Safe while an async call still reads them: the worker holds its own reference.
 */
export function releaseMats(...mats: (Mat | undefined)[]): void {
  for (const mat of mats) mat?.release();
}
