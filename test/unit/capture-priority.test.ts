import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { getPriority } from 'node:os';
import { describe, test } from 'node:test';
import { findRepoFile } from '../../scripts/support';

/** A fresh process that takes its priority from `value` and prints what it got and the nice value it runs at. */
function takeIn(value: string | undefined): { took: string; nice: number } {
  const module = findRepoFile('dist/libs/media/src/capture/capture-priority.js');
  const script = `const { takeCapturePriority } = require(${JSON.stringify(module)}); const took = takeCapturePriority(); console.log(JSON.stringify({ took: String(took), nice: require('node:os').getPriority() }));`;
  const env = { ...process.env, VIGIL_CAPTURE_NICE: value };
  if (value === undefined) delete env.VIGIL_CAPTURE_NICE;
  const result = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as { took: string; nice: number };
}

describe('takeCapturePriority', () => {
  // what a child starts at: this test's own nice value (a niced CI runner passes it on)
  const inherited = getPriority();

  test('takes a nice value from 0 to 19', () => {
    assert.deepEqual(takeIn('19'), { took: '19', nice: 19 });
    assert.deepEqual(takeIn(String(Math.max(inherited, 10))), { took: String(Math.max(inherited, 10)), nice: Math.max(inherited, 10) });
  });

  test('without the variable, the process keeps the priority it has', () => {
    assert.deepEqual(takeIn(undefined), { took: 'undefined', nice: inherited });
  });

  test('attacker: a negative value (a higher priority, which root could take) or anything not a whole number in range changes nothing', () => {
    for (const value of ['-20', '-1', '20', '1e1', '5.5', 'ten', '', ' 3']) {
      assert.equal(takeIn(value).nice, inherited, `VIGIL_CAPTURE_NICE=${JSON.stringify(value)}`);
    }
  });
});
