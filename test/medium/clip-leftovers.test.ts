/**
 * Clip work folders that a killed alarms process left in the temp directory (SIGKILL mid-encode: nothing else
 * removes them) are removed at the next start, and only those: a live process's work, folders of other names and
 * other programs' files stay.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ClipEncoder, removeLeftoverWork } from '../../libs/alarms/src/clips';

describe('clip work folders left by a killed process', { timeout: 60_000 }, () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-leftovers-'));
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("those of dead processes go at start; a live process's, other names and files stay", async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid; // has exited: its pid is free
    const live = process.ppid;
    const names = {
      gone: `vigil-clip-${dead}-a1B2c3`,
      live: `vigil-clip-${live}-d4E5f6`,
      otherName: 'vigil-clip-abc',
      otherTool: 'systemd-private-x',
    };
    for (const name of Object.values(names)) await mkdir(join(dir, name));
    await writeFile(join(dir, names.gone, '000000.jpg'), 'x');
    await writeFile(join(dir, `vigil-clip-${dead}-zzzzzz`), 'a file, not a folder');

    const encoder = await ClipEncoder.create({ preference: 'x264', tmpDir: dir });
    assert.equal(encoder.leftoversRemoved, 1);
    assert.deepEqual((await readdir(dir)).sort(), [names.live, names.otherName, names.otherTool, `vigil-clip-${dead}-zzzzzz`].sort());
    assert.equal(await removeLeftoverWork(join(dir, 'missing')), 0, 'no temp directory: nothing to do, no error');
  });
});
