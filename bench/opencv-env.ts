/**
 * opencv4nodejs installs a "custom Mat allocator" that reports every Mat to V8 as external memory
 * (Nan::AdjustExternalMemory). In a process that reads 1080p frames and also spawns children
 * (gst-launch, ffmpeg, vigil), this reliably aborted node here with
 * `Fatal error ... Check failed: marking_done_` in CppHeap::TraceEpilogue (5 runs out of 5);
 * with OPENCV4NODEJS_DISABLE_EXTERNAL_MEM_TRACKING set it never did. The addon reads the variable
 * once, when it loads, so the bench sets it before its first capture and removes it again before
 * starting vigil, whose capture processes must run exactly as configured.
 */
const NAME = 'OPENCV4NODEJS_DISABLE_EXTERNAL_MEM_TRACKING';
let setByUs = false;

export function disableOpenCvMemTracking(): void {
  // BENCH_OPENCV_MEMTRACK=1 keeps the tracking on, to reproduce the crash
  if (process.env[NAME] === undefined && process.env.BENCH_OPENCV_MEMTRACK !== '1') {
    process.env[NAME] = '1';
    setByUs = true;
  }
}

/** Call before spawning vigil: children inherit process.env. */
export function restoreOpenCvEnv(): void {
  if (setByUs) delete process.env[NAME];
  setByUs = false;
}

export function memTrackingNote(): string {
  return setByUs || process.env[NAME] !== undefined && process.env[NAME] !== ''
    ? `${NAME} set for the bench's own OpenCV loop (see bench/opencv-env.ts)`
    : `${NAME} not set`;
}
