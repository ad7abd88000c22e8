import { hostname } from 'node:os';
import { z } from 'zod';
import { ConfigError } from './errors';

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
  /** a capture that produces no frame for this long is restarted */
  WATCHDOG_SECONDS: z.coerce.number().positive().max(3600).default(10),
  RECONNECT_MIN_MS: integer(10, 600_000).default(500),
  RECONNECT_MAX_MS: integer(100, 3_600_000).default(30_000),
  /** how long an ingest instance's claim on a camera lives without renewal */
  LEASE_MS: integer(1000, 600_000).default(15_000),
  /** frames queued for one Socket.IO client before further frames to it are dropped */
  CLIENT_QUEUE_MAX: integer(1, 1000).default(8),
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
});

export interface VigilConfig {
  redisUrl: string;
  port: number;
  host: string;
  camerasFile?: string;
  instanceId: string;
  logLevel: z.output<typeof envSchema>['LOG_LEVEL'];
  watchdogMs: number;
  reconnect: { minMs: number; maxMs: number };
  leaseMs: number;
  clientQueueMax: number;
  ingestPort: number;
  decoderPreference: 'auto' | 'cpu' | 'gpu';
  /** model settings from the environment (they override the cameras file's model section) */
  model: { path?: string; labels?: string; provider?: 'auto' | 'cuda' | 'cpu' };
  inferencePort: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): VigilConfig {
  const known = Object.fromEntries(Object.keys(envSchema.shape).map((key) => [key, emptyToUndefined(env[key])]));
  const parsed = envSchema.safeParse(known);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new ConfigError(`invalid environment: ${detail}`);
  }
  const e = parsed.data;
  if (e.RECONNECT_MAX_MS < e.RECONNECT_MIN_MS) {
    throw new ConfigError('invalid environment: RECONNECT_MAX_MS: must be at least RECONNECT_MIN_MS');
  }
  return {
    redisUrl: e.REDIS_URL,
    port: e.PORT,
    host: e.HOST,
    camerasFile: e.CAMERAS_FILE,
    instanceId: e.INSTANCE_ID ?? `${hostname()}-${process.pid}`,
    logLevel: e.LOG_LEVEL,
    watchdogMs: Math.round(e.WATCHDOG_SECONDS * 1000),
    reconnect: { minMs: e.RECONNECT_MIN_MS, maxMs: e.RECONNECT_MAX_MS },
    leaseMs: e.LEASE_MS,
    clientQueueMax: e.CLIENT_QUEUE_MAX,
    ingestPort: e.INGEST_PORT,
    decoderPreference: e.DECODER,
    model: { path: e.MODEL_PATH, labels: e.MODEL_LABELS, provider: e.MODEL_PROVIDER },
    inferencePort: e.INFERENCE_PORT,
  };
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
