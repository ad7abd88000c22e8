import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_INPUT_LIMITS, setInputLimits, type InputLimits } from '@vigil/contracts';
import { ConfigError } from './errors';
import { mediaRootProblem, parseNetwork, type SourcePolicyOptions } from './source-policy';

/** how log lines are written (LOG_FORMAT) */
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * Every environment variable vigil reads, with its default. This is the only place that reads
 * process.env; the rest of the code receives a typed VigilConfig.
 */
const envSchema = z.object({
  REDIS_URL: z
    .string()
    .default('redis://127.0.0.1:6379')
    .refine((url) => /^rediss?:\/\//.test(url), 'must start with redis:// or rediss://'),
  PORT: integer(1, 65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  /** YAML or JSON file with `cameras: [...]`, loaded into the registry at start */
  CAMERAS_FILE: z.string().optional(),
  /** this process's name in leases and status (defaults to host-pid) */
  INSTANCE_ID: z.string().regex(/^[A-Za-z0-9._-]+$/).optional(),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
  /** `text`: lines for people; `json`: one JSON object per line (time, level, service, camera, context, message), for Loki or Elastic */
  LOG_FORMAT: z.enum(LOG_FORMATS).default('text'),
  /**
   * on SIGINT or SIGTERM a process stops its work, hands its cameras over and exits; past this many seconds it kills
   * its child processes and exits anyway (Kubernetes and docker send SIGKILL 10-30 s after SIGTERM)
   */
  SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().min(0.5).max(60).default(2.5),
  /** a capture that produces no frame for this long is restarted */
  WATCHDOG_SECONDS: z.coerce.number().positive().max(3600).default(10),
  CAMERAS_PER_CAPTURE_PROCESS: integer(1, 64).default(8),
  CAPTURE_PROCESS_NICE: integer(0, 19).default(0),
  RECONNECT_MIN_MS: integer(10, 600_000).default(500),
  RECONNECT_MAX_MS: integer(100, 3_600_000).default(30_000),
  /** how long an ingest instance's claim on a camera lives without renewal */
  LEASE_MS: integer(1000, 600_000).default(15_000),
  /** frames queued for one Socket.IO client before further frames to it are dropped */
  CLIENT_QUEUE_MAX: integer(1, 1000).default(8),
  // bounds of the frame bus and the live view: past one, a frame or message is dropped and counted, or a
  // Socket.IO request is refused with `ok: false` and a message naming the variable
  /**
   * bytes one frame envelope may have on the bus: ingest does not publish a larger frame (a run of them is a camera
   * error) and every subscriber drops one; below Redis's 32 MiB client-output-buffer-limit for pub/sub, which one
   * frame must never reach
   */
  FRAME_MAX_BYTES: integer(65_536, 31 * 1024 * 1024).default(8 * 1024 * 1024),
  /** subscriptions (camera, stream, format) one Socket.IO connection may hold */
  SOCKET_SUBSCRIPTIONS_MAX: integer(1, 10_000).default(64),
  /** Socket.IO connections one client address may hold at once */
  SOCKETS_PER_ADDRESS_MAX: integer(1, 100_000).default(32),
  /**
   * packets a Socket.IO client may have waiting before its `detections` events are dropped; an `alarm` event to such
   * a client disconnects it instead (the page reconnects and reloads its alarms). More than twice CLIENT_QUEUE_MAX, so
   * frames give way first
   */
  SOCKET_EVENT_QUEUE_MAX: integer(4, 10_000).default(64),
  /** bytes one message from a Socket.IO client may have (Socket.IO's maxHttpBufferSize); a larger one closes it */
  SOCKET_MESSAGE_MAX_BYTES: integer(1024, 1024 * 1024).default(16_384),
  /**
   * reverse proxies in front of publish whose X-Forwarded-For is believed, for SOCKETS_PER_ADDRESS_MAX: 0 (the
   * default) ignores the header and counts the peer address; N counts the address N hops back along it
   */
  TRUST_PROXY_HOPS: integer(0, 10).default(0),
  /** port of the ingest app's own health and metrics endpoint when it runs alone */
  INGEST_PORT: integer(1, 65535).default(8081),
  /** decoder preference for cameras that say `auto`: force cpu to ignore NVDEC */
  DECODER: z.enum(['auto', 'cpu', 'gpu']).default('auto'),
  /** the ONNX detector; overrides the cameras file's model.path */
  MODEL_PATH: z.string().optional(),
  /** class names file for the model; overrides model.labels */
  MODEL_LABELS: z.string().optional(),
  /** ONNX Runtime execution provider: auto tries CUDA, then CPU */
  MODEL_PROVIDER: z.enum(['auto', 'cuda', 'cpu']).optional(),
  /** port of the inference app's own health and metrics endpoint when it runs alone */
  INFERENCE_PORT: integer(1, 65535).default(8082),
  /** port of the alarms app's own health and metrics endpoint when it runs alone */
  ALARMS_PORT: integer(1, 65535).default(8083),
  /** where alarm clips and snapshots are written (publish serves them from there too) */
  ALARMS_DIR: z.string().default('.vigil/alarms'),
  /** alarm policy; each overrides the config file's `alarms` section */
  ALARM_PRE_SECONDS: seconds(0, 60).optional(),
  ALARM_POST_SECONDS: seconds(0, 60).optional(),
  ALARM_QUIET_SECONDS: seconds(0.1, 3600).optional(),
  ALARM_COOLDOWN_SECONDS: seconds(0, 86_400).optional(),
  ALARM_CLIP_MAX_SECONDS: seconds(1, 600).optional(),
  /**
   * JPEG bytes one camera's clips may hold in memory: its pre-alarm ring (at most a quarter of this) plus the frames
   * of its alarms being recorded. Past it a clip keeps its beginning and leaves later frames out (clip.omitted).
   */
  ALARM_CLIP_MEMORY_MB: z.coerce.number().min(8).max(16_384).default(256),
  /** clips and snapshots older than this are deleted */
  ALARM_RETENTION_DAYS: z.coerce.number().positive().max(3650).default(30),
  /** and the oldest go first while all of them take more than this */
  ALARM_RETENTION_MAX_MB: z.coerce.number().positive().default(10_240),
  /** and while the disk of ALARMS_DIR has less free than this, the oldest go too (also at once when a clip found it full) */
  ALARM_RETENTION_MIN_FREE_MB: z.coerce.number().nonnegative().default(256),
  /** alarm records (and their index entries) older than this are deleted from Redis; their files went earlier */
  ALARM_RECORD_RETENTION_DAYS: z.coerce.number().positive().max(3650).default(90),
  /** clip encoder: auto uses NVENC when a test encode at start works, else x264 */
  CLIP_ENCODER: z.enum(['auto', 'nvenc', 'x264']).default('auto'),
  /** port of the egress app's own health, metrics and status endpoint when it runs alone */
  EGRESS_PORT: integer(1, 65535).default(8084),
  /** egress encoder for cameras that say `auto`: NVENC when a test encode at start works, else x264 */
  EGRESS_ENCODER: z.enum(['auto', 'nvenc', 'x264']).default('auto'),
  /** port of the stitch app's own health and metrics endpoint when it runs alone */
  STITCH_PORT: integer(1, 65535).default(8085),
  /**
   * frames of a panorama's two inputs whose capture times differ by at most this many ms make a pair; a frame that
   * finds no partner within it is counted as missed. Half a frame interval pairs every frame of two free-running
   * cameras at 10 fps or more
   */
  STITCH_PAIR_TOLERANCE_MS: integer(1, 1000).default(50),
  /** a panorama whose inputs agree in the overlap less than the stitching library's drift floor for this long is calibrated again */
  STITCH_DRIFT_SECONDS: z.coerce.number().min(1).max(3600).default(10),
  /**
   * automatic calibrations of one panorama (drift) are at least this many seconds apart, and a failed one is retried
   * after 1 s doubling up to this; the first at new input frame sizes runs at once, POST /api/stitch/:id/calibrate
   * is not held to it
   */
  STITCH_RECALIBRATE_MIN_SECONDS: z.coerce.number().min(1).max(86_400).default(60),
  /** the simple case of one webhook endpoint (more in the config file's `webhooks`) */
  WEBHOOK_URL: z.string().url().optional(),
  WEBHOOK_SECRET: z.string().optional(),
  /** seconds between webhook tries, comma-separated (Standard Webhooks' schedule by default) */
  WEBHOOK_RETRY_SECONDS: z
    .string()
    .regex(/^\s*\d+(\.\d+)?(\s*,\s*\d+(\.\d+)?)*\s*$/, 'must be seconds separated by commas, e.g. 0,5,300')
    .optional(),
  /**
   * how long a delivery's claim lives without renewal: after a crash, another alarms process resends it about this
   * long (plus as long again for the stalled check) later
   */
  WEBHOOK_LOCK_SECONDS: z.coerce.number().min(1).max(600).default(30),
  /** base of the links in webhook bodies, e.g. https://vigil.example.com (default http://<host>:PORT) */
  PUBLIC_URL: z.string().url().optional(),
  /** publish alarm events to an MQTT broker too, e.g. mqtt://broker:1883 */
  MQTT_URL: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'must start with mqtt://, mqtts://, ws:// or wss://').optional(),

  // who may do what (libs/auth): there is no switch that turns it off
  /** an admin API token (Authorization: Bearer), for bootstrap and machines; `npm run demo` makes one when unset */
  ADMIN_TOKEN: z.string().min(32, 'must be at least 32 characters (make one with: openssl rand -base64 32)').max(512).optional(),
  /** a file holding ADMIN_TOKEN (a mounted secret), read once at start; trailing whitespace is ignored */
  ADMIN_TOKEN_FILE: z.string().min(1).optional(),
  /** when set, GET /metrics takes this bearer token (a Prometheus scraper's); otherwise it needs an admin */
  METRICS_TOKEN: z.string().min(32, 'must be at least 32 characters').max(512).optional(),
  /** web origins, besides the page's own, whose pages may use the API and Socket.IO with a session, comma-separated */
  ALLOWED_ORIGINS: list(originProblem, /,/).optional(),
  /** how long a signed clip or snapshot link in a webhook body stays valid */
  SIGNED_LINK_DAYS: z.coerce.number().positive().max(365).default(7),
  /** how long a session cookie stays valid after login */
  SESSION_HOURS: z.coerce.number().positive().max(24 * 90).default(12),
  /** accept JWTs signed by the site's identity provider, verified against this JWKS (https) */
  AUTH_JWKS_URL: z.string().url().optional(),
  /** the `iss` and `aud` such a JWT must carry */
  AUTH_JWT_ISSUER: z.string().min(1).optional(),
  AUTH_JWT_AUDIENCE: z.string().min(1).optional(),
  /** the claims that name the role (`admin` or `viewer`) and the camera patterns (a list) */
  AUTH_JWT_ROLE_CLAIM: z.string().min(1).max(200).default('vigil_role'),
  AUTH_JWT_CAMERAS_CLAIM: z.string().min(1).max(200).default('vigil_cameras'),

  // where cameras may read from (SourcePolicy): every boundary refuses a camera outside these
  /**
   * folders file sources and image sequences may lie in (real paths: symlinks and `..` are resolved first), absolute,
   * separated by ":" or ","; default `.vigil/media` in the working directory, next to the demo's `.vigil/alarms`
   */
  MEDIA_ROOTS: list((entry) => mediaRootProblem(entry)).optional(),
  /** V4L2 devices cameras may open, e.g. /dev/video0,/dev/video1; default none */
  DEVICE_ALLOW: list((entry) => (/^\/dev\/video\d+$/.test(entry) ? undefined : `"${entry}" is not a /dev/videoN device`)).optional(),
  /** addresses or networks (CIDR) camera URLs may reach although they are link-local or cloud-metadata ones; default none */
  ALLOWED_NETWORKS: list(networkProblem, /,/).optional(),

  // bounds on camera records (libs/contracts limits.ts); going past one is a 400 naming the field
  /** characters in a camera, egress or webhook URL */
  LIMIT_URL_LENGTH: integer(64, 1_000_000).default(DEFAULT_INPUT_LIMITS.urlLength),
  /** cameras in the registry: adding one more is refused */
  MAX_CAMERAS: integer(1, 100_000).default(DEFAULT_INPUT_LIMITS.cameras),
  /** zones per camera */
  LIMIT_ZONES: integer(1, 10_000).default(DEFAULT_INPUT_LIMITS.zones),
  /** polygon points per zone */
  LIMIT_ZONE_POINTS: integer(3, 100_000).default(DEFAULT_INPUT_LIMITS.zonePoints),
  /** rules per camera */
  LIMIT_RULES: integer(1, 10_000).default(DEFAULT_INPUT_LIMITS.rules),
  /** class names per rule (and per-class confidence entries) */
  LIMIT_RULE_CLASSES: integer(1, 10_000).default(DEFAULT_INPUT_LIMITS.ruleClasses),
  /** highest frame-rate cap a camera may ask for */
  MAX_FPS: z.coerce.number().positive().max(1000).default(DEFAULT_INPUT_LIMITS.fps),
  /** largest output width and height a camera may ask for */
  MAX_WIDTH: integer(16, 16_384).default(DEFAULT_INPUT_LIMITS.width),
  MAX_HEIGHT: integer(16, 16_384).default(DEFAULT_INPUT_LIMITS.height),
  /** width x height x fps where all are known (test patterns count their defaults), in megapixels per second */
  MAX_MEGAPIXELS_PER_SECOND: z.coerce.number().positive().max(100_000).default(DEFAULT_INPUT_LIMITS.megapixelsPerSecond),
});

/** MEDIA_ROOTS when the environment does not set it, resolved against the working directory at start. */
const DEFAULT_MEDIA_ROOT = '.vigil/media';

/** A list variable: entries split on ":" or "," (or `separator`), each checked; the message names the bad entry. */
function list(problem: (entry: string) => string | undefined, separator = /[:,]/) {
  return z
    .string()
    .transform((text) => text.split(separator).map((entry) => entry.trim()).filter((entry) => entry !== ''))
    .superRefine((entries, ctx) => {
      for (const entry of entries) {
        const message = problem(entry);
        if (message) ctx.addIssue({ code: z.ZodIssueCode.custom, message });
      }
    });
}

function originProblem(entry: string): string | undefined {
  try {
    const url = new URL(entry);
    if (url.origin === entry.replace(/\/$/, '') && (url.protocol === 'https:' || url.protocol === 'http:')) return undefined;
  } catch {
    // reported below
  }
  return `"${entry}" is not an origin such as https://vigil.example.com (scheme, host and port only)`;
}

function networkProblem(entry: string): string | undefined {
  try {
    parseNetwork(entry);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The names of every environment variable vigil reads (deployment files are checked against them). */
export const ENV_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

function seconds(min: number, max: number) {
  return z.coerce.number().min(min).max(max);
}

export interface VigilConfig {
  /** bounds on camera records; also set for the process's schemas by loadConfig */
  limits: InputLimits;
  redisUrl: string;
  port: number;
  host: string;
  camerasFile?: string;
  instanceId: string;
  logLevel: z.output<typeof envSchema>['LOG_LEVEL'];
  logFormat: LogFormat;
  shutdownTimeoutMs: number;
  watchdogMs: number;
  /** cameras that share one capture process (1: each its own) */
  camerasPerCaptureProcess: number;
  /** the nice value capture processes run at (0: as the rest) */
  captureProcessNice: number;
  reconnect: { minMs: number; maxMs: number };
  leaseMs: number;
  clientQueueMax: number;
  frameMaxBytes: number;
  socket: SocketLimits;
  ingestPort: number;
  decoderPreference: 'auto' | 'cpu' | 'gpu';
  /** model settings from the environment (they override the cameras file's model section) */
  model: { path?: string; labels?: string; provider?: 'auto' | 'cuda' | 'cpu' };
  inferencePort: number;
  alarms: AlarmsEnv;
  egress: { port: number; encoder: 'auto' | 'nvenc' | 'x264' };
  stitch: StitchEnv;
  /** where cameras may read from */
  sources: SourcePolicyOptions;
  auth: AuthEnv;
}

/** The stitch service's settings (see the variables' docs in envSchema). */
export interface StitchEnv {
  port: number;
  pairToleranceMs: number;
  driftMs: number;
  recalibrateMinMs: number;
}

/** Access control settings (see the variables' docs in envSchema). */
export interface AuthEnv {
  adminToken?: string;
  metricsToken?: string;
  allowedOrigins: string[];
  signedLinkMs: number;
  sessionMs: number;
  jwt?: { jwksUrl: string; issuer?: string; audience?: string; roleClaim: string; camerasClaim: string };
}

/** Bounds of the live view's Socket.IO connections (see the variables' docs in envSchema). */
export interface SocketLimits {
  subscriptionsMax: number;
  perAddressMax: number;
  eventQueueMax: number;
  messageMaxBytes: number;
  trustProxyHops: number;
}

/** What the environment says about alarms; the config file's `alarms` and `webhooks` sections fill the rest. */
export interface AlarmsEnv {
  port: number;
  dir: string;
  /** policy values set by environment variables, ms */
  policy: { preMs?: number; postMs?: number; quietMs?: number; cooldownMs?: number; maxClipMs?: number };
  /** ALARM_CLIP_MEMORY_MB in bytes: one camera's ring plus its recordings */
  clipMemoryBytes: number;
  /** maxAgeMs, maxBytes and minFreeBytes: clips and snapshots; recordMaxAgeMs: the alarm records in Redis */
  retention: { maxAgeMs: number; maxBytes: number; minFreeBytes: number; recordMaxAgeMs: number };
  encoder: 'auto' | 'nvenc' | 'x264';
  webhook?: { url: string; secret?: string };
  webhookRetryMs?: number[];
  webhookLockMs: number;
  publicUrl: string;
  mqttUrl?: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): VigilConfig {
  const known = Object.fromEntries(Object.keys(envSchema.shape).map((key) => [key, emptyToUndefined(env[key])]));
  const parsed = envSchema.safeParse(known);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new ConfigError(`invalid environment: ${detail}`);
  }
  const e = parsed.data;
  if (e.WEBHOOK_SECRET && !e.WEBHOOK_URL) {
    throw new ConfigError('invalid environment: WEBHOOK_SECRET: is set but WEBHOOK_URL is not');
  }
  if (e.RECONNECT_MAX_MS < e.RECONNECT_MIN_MS) {
    throw new ConfigError('invalid environment: RECONNECT_MAX_MS: must be at least RECONNECT_MIN_MS');
  }
  if (e.SOCKET_EVENT_QUEUE_MAX <= 2 * e.CLIENT_QUEUE_MAX) {
    throw new ConfigError('invalid environment: SOCKET_EVENT_QUEUE_MAX: must be more than twice CLIENT_QUEUE_MAX (a frame is two packets)');
  }
  const limits: InputLimits = {
    urlLength: e.LIMIT_URL_LENGTH,
    cameras: e.MAX_CAMERAS,
    zones: e.LIMIT_ZONES,
    zonePoints: e.LIMIT_ZONE_POINTS,
    rules: e.LIMIT_RULES,
    ruleClasses: e.LIMIT_RULE_CLASSES,
    fps: e.MAX_FPS,
    width: e.MAX_WIDTH,
    height: e.MAX_HEIGHT,
    megapixelsPerSecond: e.MAX_MEGAPIXELS_PER_SECOND,
  };
  // the camera schemas check against these wherever a record is read: REST, the cameras file, the registry
  setInputLimits(limits);
  return {
    limits,
    redisUrl: e.REDIS_URL,
    port: e.PORT,
    host: e.HOST,
    camerasFile: e.CAMERAS_FILE,
    instanceId: e.INSTANCE_ID ?? `${hostname()}-${process.pid}`,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    shutdownTimeoutMs: Math.round(e.SHUTDOWN_TIMEOUT_SECONDS * 1000),
    watchdogMs: Math.round(e.WATCHDOG_SECONDS * 1000),
    camerasPerCaptureProcess: e.CAMERAS_PER_CAPTURE_PROCESS,
    captureProcessNice: e.CAPTURE_PROCESS_NICE,
    reconnect: { minMs: e.RECONNECT_MIN_MS, maxMs: e.RECONNECT_MAX_MS },
    leaseMs: e.LEASE_MS,
    clientQueueMax: e.CLIENT_QUEUE_MAX,
    frameMaxBytes: e.FRAME_MAX_BYTES,
    socket: {
      subscriptionsMax: e.SOCKET_SUBSCRIPTIONS_MAX,
      perAddressMax: e.SOCKETS_PER_ADDRESS_MAX,
      eventQueueMax: e.SOCKET_EVENT_QUEUE_MAX,
      messageMaxBytes: e.SOCKET_MESSAGE_MAX_BYTES,
      trustProxyHops: e.TRUST_PROXY_HOPS,
    },
    ingestPort: e.INGEST_PORT,
    decoderPreference: e.DECODER,
    model: { path: e.MODEL_PATH, labels: e.MODEL_LABELS, provider: e.MODEL_PROVIDER },
    inferencePort: e.INFERENCE_PORT,
    alarms: {
      port: e.ALARMS_PORT,
      dir: e.ALARMS_DIR,
      policy: {
        preMs: ms(e.ALARM_PRE_SECONDS),
        postMs: ms(e.ALARM_POST_SECONDS),
        quietMs: ms(e.ALARM_QUIET_SECONDS),
        cooldownMs: ms(e.ALARM_COOLDOWN_SECONDS),
        maxClipMs: ms(e.ALARM_CLIP_MAX_SECONDS),
      },
      clipMemoryBytes: Math.round(e.ALARM_CLIP_MEMORY_MB * 1024 * 1024),
      retention: {
        maxAgeMs: Math.round(e.ALARM_RETENTION_DAYS * 86_400_000),
        maxBytes: Math.round(e.ALARM_RETENTION_MAX_MB * 1024 * 1024),
        minFreeBytes: Math.round(e.ALARM_RETENTION_MIN_FREE_MB * 1024 * 1024),
        recordMaxAgeMs: Math.round(e.ALARM_RECORD_RETENTION_DAYS * 86_400_000),
      },
      encoder: e.CLIP_ENCODER,
      webhook: e.WEBHOOK_URL ? { url: e.WEBHOOK_URL, secret: e.WEBHOOK_SECRET } : undefined,
      webhookRetryMs: e.WEBHOOK_RETRY_SECONDS?.split(',').map((part) => Math.round(Number(part.trim()) * 1000)),
      webhookLockMs: Math.round(e.WEBHOOK_LOCK_SECONDS * 1000),
      publicUrl: (e.PUBLIC_URL ?? `http://${hostname()}:${e.PORT}`).replace(/\/+$/, ''),
      mqttUrl: e.MQTT_URL,
    },
    egress: { port: e.EGRESS_PORT, encoder: e.EGRESS_ENCODER },
    stitch: {
      port: e.STITCH_PORT,
      pairToleranceMs: e.STITCH_PAIR_TOLERANCE_MS,
      driftMs: Math.round(e.STITCH_DRIFT_SECONDS * 1000),
      recalibrateMinMs: Math.round(e.STITCH_RECALIBRATE_MIN_SECONDS * 1000),
    },
    sources: {
      mediaRoots: e.MEDIA_ROOTS ?? [resolve(DEFAULT_MEDIA_ROOT)],
      devices: e.DEVICE_ALLOW ?? [],
      allowedNetworks: e.ALLOWED_NETWORKS ?? [],
    },
    auth: {
      adminToken: adminToken(e.ADMIN_TOKEN, e.ADMIN_TOKEN_FILE),
      metricsToken: e.METRICS_TOKEN,
      allowedOrigins: (e.ALLOWED_ORIGINS ?? []).map((origin) => new URL(origin).origin),
      signedLinkMs: Math.round(e.SIGNED_LINK_DAYS * 86_400_000),
      sessionMs: Math.round(e.SESSION_HOURS * 3_600_000),
      jwt: e.AUTH_JWKS_URL
        ? { jwksUrl: e.AUTH_JWKS_URL, issuer: e.AUTH_JWT_ISSUER, audience: e.AUTH_JWT_AUDIENCE, roleClaim: e.AUTH_JWT_ROLE_CLAIM, camerasClaim: e.AUTH_JWT_CAMERAS_CLAIM }
        : undefined,
    },
  };
}

/** ADMIN_TOKEN, or the content of ADMIN_TOKEN_FILE (a mounted secret); never both. */
function adminToken(value: string | undefined, file: string | undefined): string | undefined {
  if (file === undefined) return value;
  if (value !== undefined) throw new ConfigError('invalid environment: ADMIN_TOKEN_FILE: is set and so is ADMIN_TOKEN; set one');
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trimEnd();
  } catch (error) {
    throw new ConfigError(`invalid environment: ADMIN_TOKEN_FILE: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (text.length < 32 || text.length > 512) throw new ConfigError(`invalid environment: ADMIN_TOKEN_FILE: ${file} must hold 32 to 512 characters`);
  return text;
}

function ms(seconds: number | undefined): number | undefined {
  return seconds === undefined ? undefined : Math.round(seconds * 1000);
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
