#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with Node's test runner, one file at a
// time: the medium and end-to-end tests start real servers and time-sensitive pipelines, and on
// a 2-core machine running them side by side only makes them slower and flakier.
//   node scripts/run-tests.mjs [unit|medium|e2e|fault|fault-slow ...]   limit to those folders
// The default is every folder but fault-slow (minutes per fault: `npm run test:faults` runs it). After the run,
// the fault suite's outcomes (test/support/fault-report.ts) are printed as one table, and the
// failed tests are listed again at the end (scripts/failed-tests-reporter.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const suites = process.argv.slice(2);
const folders = (suites.length > 0 ? suites : ['unit', 'medium', 'e2e', 'fault']).map((suite) => join(root, 'dist', 'test', suite));

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
const faultReport = join(root, '.vigil', 'test', 'faults.jsonl');
rmSync(faultReport, { force: true });
const reporters = ['--test-reporter=tap', '--test-reporter-destination=stdout', `--test-reporter=${join(root, 'scripts', 'failed-tests-reporter.mjs')}`, '--test-reporter-destination=stdout'];
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...reporters, ...files], { stdio: 'inherit', cwd: root });
printFaultTable();
process.exit(result.status ?? 1);

function printFaultTable() {
  if (!existsSync(faultReport)) return;
  const rows = readFileSync(faultReport, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  const seconds = (ms) => (ms === null || ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);
  const lines = ['', 'fault suite:', '| fault | recovery | frames lost | violations lost | alarms lost | webhooks lost |', '|---|---|---|---|---|---|'];
  for (const row of rows) {
    const lost = row.lost ?? {};
    lines.push(`| ${row.fault} | ${seconds(row.recoveryMs)} | ${lost.frames ?? 0} | ${lost.violations ?? 0} | ${lost.alarms ?? 0} | ${lost.webhooks ?? 0} |`);
  }
  console.log(lines.join('\n'));
}
