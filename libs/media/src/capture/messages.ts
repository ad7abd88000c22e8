import type { StreamName } from '@vigil/contracts';

/**
 * What the supervisor tells a capture process at start: its first IPC message, never argv. Every user of the
 * machine reads argv (`ps`), and the kernel limits one argument to 128 KiB: a long camera URL made the fork throw
 * E2BIG, which took the whole process down.
 */
export interface CaptureJob {
  camera: string;
  stream: StreamName;
  /** GStreamer launch line ending in an appsink of JPEG frames (Pipeline.launch) */
  launch: string;
  /** the same, prerolling at open, for a camera in a process of its own (Pipeline.launchAlone) */
  launchAlone: string;
  /** the same, masked, for error messages */
  masked: string;
  redisUrl: string;
  /** first sequence number, so seq keeps rising across restarts of the capture */
  seqStart: number;
  /** reopen at end of stream (file and image-sequence sources loop) */
  loop: boolean;
  /** how often the process reports its counters */
  statsIntervalMs: number;
  /** unacknowledged Redis publishes before frames are dropped */
  maxInFlight: number;
  /** envelope bytes a frame may have (FRAME_MAX_BYTES); larger frames are dropped, and a run of them ends the capture */
  maxFrameBytes: number;
}

export interface CaptureStats {
  /** frames published since the process started */
  frames: number;
  /** frames dropped because Redis was down or behind */
  dropped: number;
  /** frames dropped because they were larger than maxFrameBytes */
  oversized: number;
  bytes: number;
  lastSeq: number;
  lastFrameAt?: number;
  width?: number;
  height?: number;
}

/** What a capture process says about one of its cameras. */
export type CameraEvent =
  | { type: 'opened'; openMs: number }
  /** sequence numbers below `until` may be in use: a restarted capture must start at or after it */
  | { type: 'seqs'; until: number }
  | { type: 'stats'; stats: CaptureStats }
  | { type: 'looped' }
  /**
   * the capture ended: `eos` for end of stream, `error` with a reason for everything else; `own` when the capture
   * ended it itself (its frames are too large), so that its message wins over GStreamer's last words on stderr
   */
  | { type: 'ended'; reason: 'eos' | 'error'; message: string; stats: CaptureStats; own?: boolean };

/** Messages from a capture process to its supervisor: each is about one camera of the process. */
export type CaptureMessage = CameraEvent & { camera: string };

/**
 * Messages from the supervisor to a capture process. `hello` comes first: its `marker` brackets the stderr lines
 * written while one camera's pipeline opens or closes, so that they reach that camera (unguessable, so a stream's
 * own text echoed on stderr cannot pose as one).
 */
export type SupervisorMessage =
  | { type: 'hello'; marker: string }
  | { type: 'job'; job: CaptureJob }
  /** stop one camera: it ends its read, closes its pipeline and reports `ended` */
  | { type: 'stop'; camera: string }
  /** forget a camera whose read never returns (a stall the pipeline's watchdog missed): its thread is left behind */
  | { type: 'abandon'; camera: string }
  /** the process has no cameras left: close and exit */
  | { type: 'exit' };
