#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with Node's test runner, one file at a
// time: the medium and end-to-end tests start real servers and time-sensitive pipelines, and on
// a 2-core machine running them side by side only makes them slower and flakier.
//   node scripts/run-tests.mjs [unit|medium|e2e ...]   limit to those folders
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const suites = process.argv.slice(2);
const folders = (suites.length > 0 ? suites : ['unit', 'medium', 'e2e']).map((suite) => join(root, 'dist', 'test', suite));

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? testFiles(join(dir, entry.name)) : entry.name.endsWith('.test.js') ? [join(dir, entry.name)] : []))
    .sort();
}

const files = folders.flatMap(testFiles);
if (files.length === 0) {
  console.error(`no test files under ${folders.map((f) => relative(root, f)).join(', ')}: run the build first`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
