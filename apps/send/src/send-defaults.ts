import type { VideoCodec } from '@vigil/contracts';

/** Every default and bound of `npm run send`, in one place; the usage text and the README quote them. */
export const SEND_DEFAULTS = {
  /** @default h264 */
  codec: 'h264' as VideoCodec,
  /** kbit/s @default 2000 */
  bitrateKbps: 2000,
  /** seconds between keyframes: a player joining waits up to this long @default 2 */
  keyframeSeconds: 2,
  /** a test pattern's size and rate, and the rate of a source that does not say its own @default 1280x720 at 25 */
  testSize: { width: 1280, height: 720 },
  fps: 25,
  /** the port of a --serve URL without one @default 8554 */
  servePort: 8554,
  /** without a TTY, a status line this often @default 5 s */
  statusEveryMs: 5000,
  /** on a TTY, the line is redrawn this often @default 1 s */
  redrawEveryMs: 1000,
  /** reconnect backoff: doubling from min to max, ±20 % jitter @default 500 ms to 10 s */
  reconnect: { minMs: 500, maxMs: 10_000 },
  /** no frame sent for this long (connecting or live): ffmpeg is killed and started again @default 15 s */
  stallMs: 15_000,
  /** after SIGINT, ffmpeg gets this long to end the stream cleanly before it is killed @default 2 s */
  stopGraceMs: 2000,
  /** the source probe and each encoder's test encode at start @default 20 s */
  probeTimeoutMs: 20_000,
} as const;

/** Bounds of the options; past one is a usage error (exit code 2). */
export const SEND_LIMITS = {
  fps: { min: 1, max: 120 },
  bitrateKbps: { min: 100, max: 50_000 },
  width: { min: 16, max: 7680 },
  height: { min: 16, max: 4320 },
  /** characters in one argument (a path, a URL) */
  argumentLength: 4096,
} as const;
