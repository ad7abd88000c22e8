/** Every Redis key and channel name lives here; no app spells one by hand. */

export const STREAMS = ['raw', 'annotated'] as const;
export type StreamName = (typeof STREAMS)[number];

const PREFIX = 'vigil';

export const channels = {
  /** pub/sub: binary frame envelopes of one camera and stream */
  frames: (camera: string, stream: StreamName): string => `${PREFIX}:frames:${camera}:${stream}`,
  /** pub/sub: DetectionsEvent JSON of one camera */
  detections: (camera: string): string => `${PREFIX}:detections:${camera}`,
  /** pattern matching every frame channel (used by tools and tests) */
  framesPattern: `${PREFIX}:frames:*`,
} as const;

export const keys = {
  /** hash: camera id -> CameraConfig JSON (the registry every service and replica reads) */
  cameras: `${PREFIX}:cameras`,
  /** hash: camera id -> CameraStatus JSON, written by the ingest instance that owns the camera */
  cameraStatus: `${PREFIX}:camera-status`,
  /** stream: ViolationEvent JSON (field `event`), durable, for the alarms service */
  violations: `${PREFIX}:violations`,
  /** hash: camera id -> InferenceStatus JSON (frames inferred and skipped), written by inference */
  inferenceStatus: `${PREFIX}:inference-status`,
  /** string with TTL: which ingest instance currently owns a camera */
  cameraLease: (camera: string): string => `${PREFIX}:lease:${camera}`,
} as const;

/** NestJS Redis-transport event patterns (control messages only, never frames). */
export const controlEvents = {
  camerasChanged: 'cameras.changed',
} as const;
