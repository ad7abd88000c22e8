/**
 * `npm ci` on a fresh clone takes package-lock.json only when it names every optional dependency of every locked
 * package, other platforms' prebuilds included (bullmq -> msgpackr -> msgpackr-extract's six
 * @msgpackr-extract/* packages). npm 11 on Linux writes a lock file without the ones for other platforms, and its
 * own `npm ci` then refuses that file with a hundred lines of errors: this test catches such a lock file before a
 * newcomer's first setup does.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { findRepoFile } from '../../scripts/support';

interface LockedPackage {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const lock = JSON.parse(readFileSync(findRepoFile('package-lock.json'), 'utf8')) as { lockfileVersion: number; packages: Record<string, LockedPackage> };
const manifest = JSON.parse(readFileSync(findRepoFile('package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

/** Where Node would find `name` from the package at `from` (a lock key): its own node_modules, then each parent's. */
function resolveIn(from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const key = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (key in lock.packages) return key;
    if (!base) return undefined;
    const up = base.lastIndexOf('/node_modules/');
    base = up < 0 ? '' : base.slice(0, up);
  }
}

describe('package-lock.json', () => {
  test('is a lock file npm ci reads (version 3)', () => {
    assert.equal(lock.lockfileVersion, 3);
  });

  test('holds every direct dependency of package.json', () => {
    const root = lock.packages[''] as LockedPackage & { devDependencies?: Record<string, string> };
    assert.deepEqual(root.dependencies, manifest.dependencies, 'dependencies as package.json has them: run npm install after editing it');
    assert.deepEqual(root.devDependencies, manifest.devDependencies, 'devDependencies as package.json has them');
  });

  test("holds every optional dependency of every locked package, other platforms' prebuilds too", () => {
    const missing: string[] = [];
    for (const [key, pkg] of Object.entries(lock.packages)) {
      for (const name of Object.keys(pkg.optionalDependencies ?? {})) {
        if (!resolveIn(key, name)) missing.push(`${name} (wanted by ${key || 'the project'})`);
      }
    }
    assert.deepEqual(missing, [], 'add them to package-lock.json (their integrity from `npm view NAME@VERSION dist.integrity`)');
  });
});
