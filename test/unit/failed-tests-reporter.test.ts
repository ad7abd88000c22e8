import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { findRepoFile } from '../../scripts/support';

const FIXTURE = `
const { describe, test } = require('node:test');
describe('a suite', () => {
  test('passes', () => {});
  test('breaks', () => { throw new Error('first line\\nsecond line'); });
});
test('also breaks', () => { throw new Error('alone'); });
`;

describe('the failed-tests reporter (the last lines of a red run name what failed)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-reporter-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  function run(source: string): string {
    const file = join(dir, 'fixture.test.js');
    writeFileSync(file, source);
    const reporter = findRepoFile('scripts/failed-tests-reporter.mjs');
    // without the runner's own NODE_TEST_CONTEXT, or the child reports to this test run instead of its reporter
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const result = spawnSync(process.execPath, ['--test', `--test-reporter=${reporter}`, '--test-reporter-destination=stdout', file], { cwd: dir, env, encoding: 'utf8' });
    return result.stdout;
  }

  test('lists each failed test with its file and its error, and not the suite that holds it', () => {
    const out = run(FIXTURE);
    assert.match(out, /failed tests \(2\):/);
    assert.match(out, /- fixture\.test\.js: breaks\n {4}Error: first line\n {4}second line/);
    assert.match(out, /- fixture\.test\.js: also breaks\n {4}Error: alone/);
    assert.doesNotMatch(out, /a suite/);
    assert.doesNotMatch(out, /passes/);
  });

  test('prints nothing when every test passed', () => {
    assert.equal(run(`require('node:test').test('fine', () => {});`), '');
  });
});
