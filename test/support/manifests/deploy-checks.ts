import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { APP_NAMES, appPort, ENV_VARIABLES, loadConfig, parseConfigFile, type AppName } from '@vigil/config';
import { findRepoFile } from '../../../scripts/support';
import { runRedisStart } from './redis-start';
import { PLACEHOLDER } from './secret-scan';

/* What the checks of the deployment files (test/unit/deploy-*.test.ts) share. */

export const root = dirname(findRepoFile('package.json'));
export const read = (path: string) => readFileSync(join(root, path), 'utf8');
export const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });
/** `dist/apps/<app>/src/main.js`, as the image runs it */
const ENTRY = /^dist\/apps\/([a-z]+)\/src\/main\.js$/;
export const SPLIT_APPS = ['alarms', 'egress', 'inference', 'ingest', 'publish', 'stitch'];
/** a secret as the README's commands make one (openssl rand -hex 32) */
export const freshSecret = () => randomBytes(32).toString('hex');

/**
 * The services each secret may reach, and must: a secret goes only where it is used. The cameras file holds camera
 * passwords and webhook secrets; publish faces the users and reads none of it. ADMIN_TOKEN reaches publish as a
 * file (ADMIN_TOKEN_FILE), never as a variable. Every service connects to Redis, so each has its password (checked
 * apart, in REDIS_URL).
 */
export const SECRET_HOLDERS: Readonly<Record<string, readonly AppName[]>> = {
  CAMERAS_FILE: ['alarms', 'egress', 'inference', 'ingest'],
  WEBHOOK_URL: ['alarms'],
  WEBHOOK_SECRET: ['alarms'],
  MQTT_URL: ['alarms'],
  ADMIN_TOKEN: [],
  ADMIN_TOKEN_FILE: ['publish'],
  METRICS_TOKEN: ['publish'],
};

/** The app an entry point starts; fails unless its source exists. */
export function appOf(entry: string | undefined, where: string): AppName {
  const app = ENTRY.exec(entry ?? '')?.[1];
  assert.ok(app && (APP_NAMES as readonly string[]).includes(app), `${where}: ${entry} is not an app's entry point`);
  assert.ok(existsSync(join(root, 'apps', app, 'src', 'main.ts')), `${where}: apps/${app}/src/main.ts exists`);
  return app as AppName;
}

/**
 * Validates an environment as the app would at start; `files` gives the text of the files its variables name
 * (the cameras file, ADMIN_TOKEN_FILE), which are written where this process can read them. Returns its port.
 */
export function checkEnvironment(env: Record<string, string>, files: Record<string, string>, app: AppName, where: string): number {
  for (const name of Object.keys(env)) assert.ok(ENV_VARIABLES.includes(name), `${where}: ${name} is not a variable vigil reads`);
  const local = Object.fromEntries(Object.entries(files).map(([name, text]) => [name, tempFile(basename(env[name] ?? name), text)]));
  const config = loadConfig({ ...env, ...local });
  if (env.ADMIN_TOKEN_FILE) assert.ok(config.auth.adminToken, `${where}: an admin token from ${env.ADMIN_TOKEN_FILE}`);
  return appPort[app](config);
}

export function checkCamerasFile(text: string, where: string): void {
  const file = parseConfigFile(text, where);
  assert.ok(file.cameras.length > 0, `${where}: at least one camera, so a fresh deployment shows something`);
}

/** The services of `services` that set `name`. */
export function holders<T>(services: readonly (readonly [AppName, T])[], has: (service: T) => boolean): AppName[] {
  return services.filter(([, service]) => has(service)).map(([app]) => app).sort();
}

/**
 * A Redis start script as the container runs it: it refuses a missing or weak password and one that could change
 * the config it is written into, and hands a good one to redis-server on stdin, never on its command line.
 */
export function checkRedisStart(script: string, where: string): void {
  const password = freshSecret();
  const started = runRedisStart(script, password);
  assert.equal(started.status, 0, `${where}: starts with a generated password (${started.stderr})`);
  assert.equal(started.argv?.[0], 'redis-server', `${where}: runs redis-server through the image's entry point`);
  assert.ok(!started.argv!.some((arg) => arg.includes(password)), `${where}: the password is not on the command line`);
  assert.equal(started.argv![1], '-', `${where}: redis-server reads its config from stdin`);
  assert.deepEqual(started.config?.trim().split('\n'), [`requirepass ${password}`], `${where}: the config is the password alone`);
  for (const [option, value] of [['--appendonly', 'yes'], ['--maxmemory-policy', 'noeviction']]) {
    assert.equal(started.argv![started.argv!.indexOf(option!) + 1], value, `${where}: ${option} ${value} (alarms and the outbox live in Redis)`);
  }
  const refused = ['', PLACEHOLDER, 'short', `with space ${password}`, `"${password}`, `${password}\nrename-command CONFIG ""`, `$(id)${password}`];
  for (const bad of [undefined, ...refused]) {
    const attempt = runRedisStart(script, bad);
    assert.notEqual(attempt.status, 0, `${where}: refuses REDIS_PASSWORD=${JSON.stringify(bad)}`);
    assert.equal(attempt.argv, undefined, `${where}: starts no Redis with REDIS_PASSWORD=${JSON.stringify(bad)}`);
    assert.match(attempt.stderr, /REDIS_PASSWORD/, `${where}: says why`);
  }
}

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'vigil-deploy-')), name);
  writeFileSync(path, text);
  return path;
}

/** The image's user, from the Dockerfile's last USER line. */
export function imageUser(): { uid: number; gid: number } {
  const match = /^USER (\d+):(\d+)\s*$/m.exec(read('Dockerfile').slice(read('Dockerfile').lastIndexOf('\nFROM ')));
  assert.ok(match, 'the final stage sets USER uid:gid by number (Kubernetes checks runAsNonRoot against numbers)');
  return { uid: Number(match[1]), gid: Number(match[2]) };
}

/** Whether .dockerignore keeps a file out of the image's build context (by its path or a folder above it). */
export function outOfBuildContext(path: string): boolean {
  const patterns = read('.dockerignore').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  return patterns.some((pattern) => path === pattern || path.startsWith(`${pattern}/`));
}
