/**
 * Staged clips on a real directory: what a shutdown writes, and what a writer has put on disk when the process is
 * killed, reads back byte for byte; a record torn by the kill is left out and a resumed writer appends after the last
 * whole one. What is read back is checked like any input (a planted folder, a manifest naming another alarm, a frame
 * of another camera, a symlink instead of the log), so a bad folder is refused with a message and never read outside
 * its place.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { encodeFrame, newAlarmId } from '@vigil/contracts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { InvalidAlarmIdError, StagedClips } from '../../libs/alarms/src/clips';
import { waitFor } from '../support/wait';

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
    assert.deepEqual((await readdir(join(root, 'staged'))).filter((name) => name.endsWith('.partial')), []);
  });

  test('a writer puts each frame on disk as it comes: what a crash leaves reads back without a close', async () => {
    const id = anId();
    const writer = staged.writer({ id, camera: 'yard' });
    const written = frames(20);
    writer.append(written.slice(0, 12));
    await waitFor('12 frames on disk', async () => (await staged.load(id).catch(() => undefined))?.frames.length === 12);
    writer.append(written.slice(8)); // 8..11 are on disk already: only the newer ones are appended
    writer.setFinal({ from: written[0]!.ts, to: written[15]!.ts });
    await waitFor('20 frames and the final window on disk', async () => {
      const clip = await staged.load(id).catch(() => undefined);
      return clip?.frames.length === 20 && clip.final !== undefined;
    });
    const clip = await staged.load(id);
    assert.deepEqual(clip.frames.map((frame) => frame.seq), written.map((frame) => frame.seq));
    assert.deepEqual(clip.frames[19]!.data, written[19]!.data);
    assert.deepEqual(clip.final, { from: written[0]!.ts, to: written[15]!.ts });
    await writer.close();
    assert.ok(writer.complete);
  });

  test('a record torn by a kill mid-append is left out, and a resumed writer appends after the last whole one', async () => {
    const id = anId();
    const writer = staged.writer({ id, camera: 'yard' });
    writer.append(frames(5));
    await writer.close();
    const log = join(root, 'staged', id, 'frames.log');
    await appendFile(log, Buffer.from([0, 0, 1, 0, 1, 1])); // the first bytes of a sixth record, then the kill
    const torn = await staged.load(id);
    assert.equal(torn.frames.length, 5);
    const resumed = staged.resume(torn);
    resumed.append([...frames(5), ...frames(8).slice(5)]);
    await resumed.close();
    assert.deepEqual((await staged.load(id)).frames.map((frame) => frame.seq), [100, 101, 102, 103, 104, 105, 106, 107]);
  });

  test('a failed write stops the writer, is told once, and the writer says it is incomplete', async () => {
    const id = anId();
    const errors: Error[] = [];
    // a file where the clip's folder should go: every write under it fails
    await writeFile(join(root, 'staged-blocked'), 'x');
    const writer = new StagedClips(join(root, 'staged-blocked')).writer({ id, camera: 'yard' }, (error) => errors.push(error));
    writer.append(frames(3));
    await writer.close();
    writer.append(frames(4).slice(3));
    assert.equal(errors.length, 1, errors.map((error) => error.message).join('; '));
    assert.equal(writer.complete, false);
    assert.ok(writer.failure);
  });

  test('a log with a frame of another camera, or a record larger than any frame, is refused', async () => {
    const id = anId();
    const writer = staged.writer({ id, camera: 'yard' });
    writer.append(frames(2));
    await writer.close();
    const other = encodeFrame({ camera: 'gate', stream: 'raw', format: 'jpeg', seq: 1, ts: 2_000_000, width: 64, height: 64, data: jpeg(1) });
    const length = Buffer.alloc(4);
    length.writeUInt32BE(other.length);
    await appendFile(join(root, 'staged', id, 'frames.log'), Buffer.concat([length, other]));
    await assert.rejects(staged.load(id), /a frame of gate\/raw/);
    const huge = anId();
    await plant(huge, { version: 2, id: huge, camera: 'yard' }, { 'frames.log': Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]) });
    await assert.rejects(staged.load(huge), /a record of 4294967295 bytes/);
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
  test('a manifest that names another alarm is refused', async () => {
    const id = anId();
    await plant(id, { version: 2, id: anId(), camera: 'yard' });
    await assert.rejects(staged.load(id), /its manifest names alarm/);
  });

  test('bad camera ids, unknown keys and an older format are refused', async () => {
    for (const bad of [{ camera: 'bad camera!' }, { extra: true }, { version: 1, frames: [] }, { final: { from: 'soon', to: 1 } }]) {
      const id = anId();
      await plant(id, { version: 2, id, camera: 'yard', ...bad });
      await assert.rejects(staged.load(id), /bad manifest/, JSON.stringify(bad));
    }
  });

  test('a manifest that is not JSON is refused with an error, not a crash', async () => {
    const id = anId();
    await plant(id, '{"version": 2, "id": ');
    await assert.rejects(staged.load(id));
  });

  test('a symlink in place of the frame log is never followed', async () => {
    const id = anId();
    const secret = join(root, 'secret.txt');
    await writeFile(secret, 'not a frame');
    await plant(id, { version: 2, id, camera: 'yard' });
    await symlink(secret, join(root, 'staged', id, 'frames.log'));
    await assert.rejects(staged.load(id), /is not a plain file/);
    assert.equal(await readFile(secret, 'utf8'), 'not a frame');
  });
});
