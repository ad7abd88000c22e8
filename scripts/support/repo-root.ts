import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Finds `relativePath` (e.g. 'apps/send/rtsp-server.py') in the repository, walking up from the
 * compiled file's directory and then from the working directory. Both are needed: dist/ lives
 * inside the repo, but a build may be emitted elsewhere (tsc --outDir /tmp/...).
 */
export function findRepoFile(relativePath: string): string {
  const starts = [__dirname, process.cwd()];
  for (const start of starts) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      const candidate = join(dir, relativePath);
      if (existsSync(candidate)) return candidate;
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error(`Could not find ${relativePath} above ${starts.join(' or ')}`);
}
