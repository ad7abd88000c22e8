/**
 * Staged clips on a real directory: what a shutdown writes reads back byte for byte, and what is read back is
 * checked like any input (a planted folder, a manifest naming another alarm or a path outside its folder, a
 * symlink instead of a frame), so a bad folder is refused with a message and never read outside its place.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { newAlarmId } from '@vigil/contracts';
import { InvalidAlarmIdError, StagedClips } from '../../libs/alarms/src/clips';

let counter = 0;
const anId = (): string => newAlarmId(Date.now(), Buffer.from([0, 0, 0, 1, ++counter]));
const jpeg = (n: number): Buffer => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, n]), Buffer.alloc(100, n)]);
const frames = (count: number) => Array.from({ length: count }, (_, i) => ({ seq: 100 + i, ts: 1_000_000 + i * 40, width: 640, height: 360, data: jpeg(i) }));

describe('StagedClips', () => {
  let root: string;
  let staged: StagedClips;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'vigil-staged-'));
    staged = new StagedClips(join(root, 'staged'));
  });

  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  test('no folder yet means no staged clips', async () => {
    assert.deepEqual(await new StagedClips(join(root, 'missing')).ids(), []);
  });

  test('a saved clip reads back with every frame, its timing and its final window', async () => {
    const id = anId();
    const written = frames(40);
    await staged.save({ id, camera: 'yard', final: { from: 1_000_000, to: 1_001_000 }, frames: written });
    assert.ok((await staged.ids()).includes(id));
    const clip = await staged.load(id);
    assert.equal(clip.camera, 'yard');
    assert.deepEqual(clip.final, { from: 1_000_000, to: 1_001_000 });
    assert.equal(clip.frames.length, 40);
    for (const [i, frame] of clip.frames.entries()) {
      assert.deepEqual({ seq: frame.seq, ts: frame.ts, width: frame.width, height: frame.height }, { seq: written[i]!.seq, ts: written[i]!.ts, width: 640, height: 360 });
      assert.deepEqual(frame.data, written[i]!.data);
      assert.deepEqual([frame.camera, frame.stream, frame.format], ['yard', 'raw', 'jpeg']);
    }
    await staged.remove(id);
    assert.ok(!(await staged.ids()).includes(id));
  });

  test('saving again replaces the folder, and leaves no partial folder behind', async () => {
    const id = anId();
    await staged.save({ id, camera: 'yard', frames: frames(10) });
    await staged.save({ id, camera: 'yard', frames: frames(3) });
    assert.equal((await staged.load(id)).frames.length, 3);
    assert.equal((await readdir(join(root, 'staged', id))).filter((name) => name.endsWith('.jpg')).length, 3);
    assert.deepEqual((await readdir(join(root, 'staged'))).filter((name) => name.endsWith('.partial')), []);
  });

  test('folders that are not alarm ids are not staged clips, and a non-id is never a path', async () => {
    await mkdir(join(root, 'staged', '..evil'), { recursive: true });
    await mkdir(join(root, 'staged', 'notes'), { recursive: true });
    for (const id of await staged.ids()) assert.match(id, /^[0-9a-z]{19}$/);
    await assert.rejects(staged.load('../../etc'), InvalidAlarmIdError);
    await assert.rejects(staged.save({ id: '../x', camera: 'yard', frames: frames(1) }), InvalidAlarmIdError);
  });

  /** Writes a staged folder by hand, as a crash, an edit or an attacker could leave it. */
  async function plant(id: string, manifest: unknown, files: Record<string, Buffer> = {}): Promise<void> {
    const folder = join(root, 'staged', id);
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'clip.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
    for (const [name, data] of Object.entries(files)) await writeFile(join(folder, name), data);
  }
  const entry = { file: '000000.jpg', seq: 1, ts: 1000, width: 64, height: 64 };

  test('a manifest that names another alarm is refused', async () => {
    const id = anId();
    await plant(id, { version: 1, id: anId(), camera: 'yard', frames: [entry] }, { '000000.jpg': jpeg(1) });
    await assert.rejects(staged.load(id), /its manifest names alarm/);
  });

  test('frame names outside the folder, bad numbers and unknown keys are refused', async () => {
    for (const bad of [
      { ...entry, file: '../../../../etc/passwd' },
      { ...entry, file: '/etc/passwd' },
      { ...entry, seq: -1 },
      { ...entry, width: 0 },
      { ...entry, ts: 'soon' },
      { ...entry, extra: true },
    ]) {
      const id = anId();
      await plant(id, { version: 1, id, camera: 'yard', frames: [bad] });
      await assert.rejects(staged.load(id), /bad manifest/, JSON.stringify(bad));
    }
    const id = anId();
    await plant(id, { version: 1, id, camera: 'bad camera!', frames: [] });
    await assert.rejects(staged.load(id), /bad manifest/);
  });

  test('a manifest that is not JSON is refused with an error, not a crash', async () => {
    const id = anId();
    await plant(id, '{"version": 1, "id": ');
    await assert.rejects(staged.load(id));
  });

  test('a symlink in place of a frame is never followed', async () => {
    const id = anId();
    const secret = join(root, 'secret.txt');
    await writeFile(secret, 'not a frame');
    await plant(id, { version: 1, id, camera: 'yard', frames: [entry] });
    await symlink(secret, join(root, 'staged', id, '000000.jpg'));
    await assert.rejects(staged.load(id), /is not a plain file/);
    assert.equal(await readFile(secret, 'utf8'), 'not a frame');
  });
});
