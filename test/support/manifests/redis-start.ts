import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisStart {
  /** the shell's exit status: 0 where it reached the entry point */
  status: number | null;
  stderr: string;
  /** the entry point's arguments (redis-server's command line), or undefined where it was not reached */
  argv?: string[];
  /** what redis-server would have read as config on stdin */
  config?: string;
}

/**
 * Runs a Redis container's start script with `sh`, as the image would, up to the image's entry point
 * (docker-entrypoint.sh), which a stand-in replaces: it records its arguments and stdin instead of starting Redis.
 */
export function runRedisStart(script: string, password: string | undefined): RedisStart {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-redis-start-'));
  const entrypoint = join(dir, 'docker-entrypoint.sh');
  writeFileSync(entrypoint, `#!/bin/sh\nprintf '%s\\n' "$@" > '${dir}/argv'\ncat > '${dir}/stdin'\n`);
  chmodSync(entrypoint, 0o755);
  const env: NodeJS.ProcessEnv = { PATH: `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}` };
  if (password !== undefined) env.REDIS_PASSWORD = password;
  const run = spawnSync('sh', ['-c', script], { env, encoding: 'utf8', timeout: 10_000 });
  const reached = existsSync(join(dir, 'argv'));
  return {
    status: run.status,
    stderr: run.stderr,
    argv: reached ? readFileSync(join(dir, 'argv'), 'utf8').split('\n').slice(0, -1) : undefined,
    config: reached ? readFileSync(join(dir, 'stdin'), 'utf8') : undefined,
  };
}
