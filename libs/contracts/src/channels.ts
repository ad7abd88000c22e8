/** Every Redis key and channel name lives here; no app spells one by hand. */

export const STREAMS = ['raw', 'annotated'] as const;
export type StreamName = (typeof STREAMS)[number];

const PREFIX = 'vigil';

/** Services whose replicas divide the cameras between them. */
export type ShareRole = 'ingest' | 'inference' | 'egress' | 'stitch';

export const channels = {
  /** pub/sub: binary frame envelopes of one camera and stream */
  frames: (camera: string, stream: StreamName): string => `${PREFIX}:frames:${camera}:${stream}`,
  /** pub/sub: DetectionsEvent JSON of one camera */
  detections: (camera: string): string => `${PREFIX}:detections:${camera}`,
  /** pub/sub: AlarmEvent JSON of one camera (start/update/end), for Socket.IO clients */
  alarms: (camera: string): string => `${PREFIX}:alarm-live:${camera}`,
  /** pattern matching every frame channel (used by tools and tests) */
  framesPattern: `${PREFIX}:frames:*`,
  /** pub/sub: Revocation JSON (a token, session or user whose connections end at once, on every replica) */
  authRevocations: `${PREFIX}:auth:revocations`,
} as const;

export const keys = {
  /** hash: camera id -> CameraConfig JSON (the registry every service and replica reads) */
  cameras: `${PREFIX}:cameras`,
  /**
   * string: a random token set once by the first ingest replica to find it missing. It goes only when Redis loses
   * its data (a failover to an empty replica, a restart without persistence): a new token tells every ingest replica
   * that the registry was lost, and that its cameras file must be written again.
   */
  registryGeneration: `${PREFIX}:cameras:generation`,
  /** hash: camera id -> CameraStatus JSON, written by the ingest instance that owns the camera */
  cameraStatus: `${PREFIX}:camera-status`,
  /** stream: ViolationEvent JSON (field `event`), durable, for the alarms service */
  violations: `${PREFIX}:violations`,
  /** hash: camera id -> InferenceStatus JSON (frames inferred and skipped), written by inference */
  inferenceStatus: `${PREFIX}:inference-status`,
  /** consumer group of the alarms service on the violations stream */
  violationsGroup: 'alarms',
  /** stream: violations entries whose handling failed every try (dead letters; see StreamConsumer), capped */
  violationsDeadLetters: `${PREFIX}:violations:dead`,
  /** string: AlarmRecord JSON */
  alarm: (id: string): string => `${PREFIX}:alarm:${id}`,
  /**
   * sorted sets of alarm ids scored by start time: every alarm, and the same per camera, per rule and per
   * camera + rule, so each filter of GET /api/alarms reads one set
   */
  alarmIndex: (filter: { camera?: string; rule?: string } = {}): string => {
    if (filter.camera !== undefined && filter.rule !== undefined) return `${PREFIX}:alarms:by-start:camera-rule:${filter.camera}:${filter.rule}`;
    if (filter.camera !== undefined) return `${PREFIX}:alarms:by-start:camera:${filter.camera}`;
    if (filter.rule !== undefined) return `${PREFIX}:alarms:by-start:rule:${filter.rule}`;
    return `${PREFIX}:alarms:by-start`;
  },
  /** hash: camera + rule -> the open alarm's state, so a restarted alarms service carries on the episode */
  alarmsOpen: `${PREFIX}:alarms:open`,
  /** stream: AlarmEvent JSON (field `event`), the durable log of alarm lifecycle events */
  alarmEvents: `${PREFIX}:alarm-events`,
  /** prefix of the webhook delivery queue's keys (a BullMQ queue, durable in Redis) */
  webhookQueuePrefix: `${PREFIX}:queue`,
  /** name of the webhook delivery queue */
  webhookQueue: 'webhooks',
  /** list: deliveries that failed their last try (dead letters), newest first, JSON */
  webhookDeadLetters: `${PREFIX}:webhooks:dead`,
  /** hash: panorama camera id -> StitchStatus JSON, written by the stitch replica that makes it */
  stitchStatus: `${PREFIX}:stitch-status`,
  /** hash: panorama camera id -> StoredCalibration JSON, so a restart does not calibrate again */
  stitchCalibration: `${PREFIX}:stitch-calibration`,
  /** string with TTL: which replica of a service runs a camera now */
  cameraLease: (role: ShareRole, camera: string): string => `${PREFIX}:lease:${role}:${camera}`,
  /** sorted set: the live replicas of a service, scored by when their heartbeat runs out */
  replicas: (role: ShareRole): string => `${PREFIX}:replicas:${role}`,
} as const;

/**
 * Access control's keys. Ids in key names are ours (random hex) or digests, never text a client chose: a login
 * name or an address becomes a SHA-256 digest before it names a key.
 */
export const authKeys = {
  /** hash: token id -> TokenRecord JSON (the secret's SHA-256, never the secret) */
  tokens: `${PREFIX}:auth:tokens`,
  /** hash: token id -> epoch ms it was last used (apart from the record, so a late write cannot bring back a revoked token) */
  tokensLastUsed: `${PREFIX}:auth:tokens-last-used`,
  /** hash: user id -> UserRecord JSON */
  users: `${PREFIX}:auth:users`,
  /** hash: lower-case username -> user id (what makes usernames unique regardless of case) */
  usernames: `${PREFIX}:auth:usernames`,
  /** string with TTL: SessionRecord JSON, named by the SHA-256 of the session id (the cookie value is never stored) */
  session: (handle: string): string => `${PREFIX}:auth:session:${handle}`,
  /** sorted set: one user's session handles scored by expiry, so all of them can be ended at once */
  userSessions: (userId: string): string => `${PREFIX}:auth:user-sessions:${userId}`,
  /** string with TTL: login attempts in the current window, per username or client address digest */
  loginAttempts: (kind: 'user' | 'address', digest: string): string => `${PREFIX}:auth:login-attempts:${kind}:${digest}`,
  /** stream: AuditEntry JSON (field `entry`), capped */
  audit: `${PREFIX}:auth:audit`,
  /** string: the random secret signed links are made with (set once, by the first replica that needs it) */
  linkSecret: `${PREFIX}:auth:link-secret`,
} as const;

/** NestJS Redis-transport event patterns (control messages only, never frames). */
export const controlEvents = {
  camerasChanged: 'cameras.changed',
  /** `{ id }`: the stitch replica that makes panorama `id` calibrates it again now (POST /api/stitch/:id/calibrate) */
  stitchCalibrate: 'stitch.calibrate',
} as const;
