import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CameraInput } from '@vigil/contracts';
import { actAsAdmin, newAdminToken } from './admin-credentials';
import { spawnManaged, waitForLine, type ManagedChild, type OutputLine } from './child';
import { freePort } from './free-port';
import { findRepoFile } from './repo-root';

export interface VigilOptions {
  redisUrl: string;
  port?: number;
  /** written to a temporary cameras file and passed as CAMERAS_FILE */
  cameras?: CameraInput[];
  /** more top-level sections of that file, e.g. `alarms` or `webhooks` */
  config?: Record<string, unknown>;
  /** which entry point: the all-in-one process (default) or one app */
  app?: 'vigil' | 'ingest' | 'inference' | 'publish' | 'alarms' | 'egress';
  env?: Record<string, string>;
  echo?: boolean;
  startTimeoutMs?: number;
  /** every output line from the first one on (lastLines() keeps only the most recent) */
  onLine?: (line: OutputLine) => void;
}

export interface VigilHandle {
  url: string;
  /** its ADMIN_TOKEN (made up unless the env gave one); this process's fetch sends it to `url` (actAsAdmin) */
  adminToken: string;
  port: number;
  /** where alarm clips and snapshots go (ALARMS_DIR; a fresh temporary folder unless the env named one) */
  alarmsDir: string;
  child: ManagedChild;
  stop(): Promise<void>;
}

/** Starts a built vigil process (dist/) as a managed child; resolves once it listens. */
export async function startVigil(options: VigilOptions): Promise<VigilHandle> {
  const app = options.app ?? 'vigil';
  const port = options.port ?? (await freePort());
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    REDIS_URL: options.redisUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    INSTANCE_ID: `${app}-${port}`,
    ALARMS_DIR: mkdtempSync(join(tmpdir(), 'vigil-alarms-')),
    ADMIN_TOKEN: newAdminToken(),
    ...options.env,
  };
  // a token from a file (ADMIN_TOKEN_FILE) replaces the made-up one: vigil refuses both at once
  if (options.env?.ADMIN_TOKEN_FILE && !options.env.ADMIN_TOKEN) env.ADMIN_TOKEN = readFileSync(options.env.ADMIN_TOKEN_FILE, 'utf8').trimEnd();
  if (app === 'ingest') env.INGEST_PORT = String(port);
  if (app === 'inference') env.INFERENCE_PORT = String(port);
  if (app === 'alarms') env.ALARMS_PORT = String(port);
  if (app === 'egress') env.EGRESS_PORT = String(port);
  if (options.cameras || options.config) {
    const file = join(mkdtempSync(join(tmpdir(), 'vigil-cameras-')), 'cameras.json');
    writeFileSync(file, JSON.stringify({ cameras: options.cameras ?? [], ...options.config }, null, 2));
    env.CAMERAS_FILE = file;
  }
  const entry = findRepoFile(`dist/apps/${app}/src/main.js`);
  const childEnv = options.env?.ADMIN_TOKEN_FILE && !options.env.ADMIN_TOKEN ? { ...env, ADMIN_TOKEN: '' } : env;
  const child = spawnManaged(app, process.execPath, [entry], { env: { ...childEnv, NO_COLOR: '1' }, echo: options.echo, maxLines: 200 });
  if (options.onLine) child.onLine(options.onLine);
  await waitForLine(child, /listening on http/, options.startTimeoutMs ?? 30_000);
  const url = `http://127.0.0.1:${port}`;
  const adminToken = env.ADMIN_TOKEN!;
  actAsAdmin(url, adminToken);
  return { url, adminToken, port, alarmsDir: env.ALARMS_DIR!, child, stop: () => child.stop('SIGTERM', 8000) };
}
