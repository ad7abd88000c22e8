/** The clip store on a real directory: paths only for alarm ids, atomic snapshots, retention by age and size. */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { newAlarmId } from '@vigil/contracts';
import { ClipStore, InvalidAlarmIdError } from '../../libs/alarms/src/clips';

const DAY = 24 * 3600_000;
const NOW = 1_700_000_000_000;
let counter = 0;
/** A fresh alarm id for an alarm that started `daysAgo` before NOW. */
const idFrom = (daysAgo: number): string => newAlarmId(NOW - daysAgo * DAY, Buffer.from([0, 0, 0, 0, ++counter]));

describe('ClipStore', () => {
  let root: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'vigil-clip-store-'));
  });

  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function openStore(options: { maxAgeMs?: number; maxBytes?: number } = {}): Promise<ClipStore> {
    const store = new ClipStore({ dir: await mkdtemp(join(root, 'store-')), ...options });
    await store.open();
    return store;
  }

  /** Writes an alarm's clip and snapshot of the given sizes. */
  async function fill(store: ClipStore, id: string, clipBytes: number, snapshotBytes = 0): Promise<void> {
    await writeFile(store.clipPath(id), Buffer.alloc(clipBytes));
    if (snapshotBytes > 0) await store.writeSnapshot(id, Buffer.alloc(snapshotBytes));
  }

  test('an alarm id names <dir>/<id>.mp4 and <dir>/<id>.jpg', async () => {
    const store = await openStore();
    const id = idFrom(0);
    assert.equal(store.clipPath(id), join(store.dir, `${id}.mp4`));
    assert.equal(store.snapshotPath(id), join(store.dir, `${id}.jpg`));
  });

  test('anything that is not an alarm id is refused before it can name a file', async () => {
    const store = await openStore();
    const id = idFrom(0);
    const hostile: unknown[] = ['../../etc/passwd', `../${id}`, `${id}/x`, `${id}.mp4`, `A${id.slice(1)}`, ` ${id}`, '', 'x'.repeat(5000), 42, undefined];
    for (const value of hostile) {
      assert.throws(() => store.clipPath(value as string), InvalidAlarmIdError, JSON.stringify(value));
      assert.throws(() => store.snapshotPath(value as string), InvalidAlarmIdError);
    }
    await assert.rejects(store.writeSnapshot('../evil', Buffer.from('x')), InvalidAlarmIdError);
    await assert.rejects(store.has('../evil'), InvalidAlarmIdError);
    await assert.rejects(store.remove('../evil'), InvalidAlarmIdError);
    assert.throws(() => store.clipPath('x'.repeat(5000)), (error: Error) => error.message.length < 100, 'a long value is not echoed whole');
  });

  test('writeSnapshot writes the JPEG whole and leaves no temporary file', async () => {
    const store = await openStore();
    const id = idFrom(0);
    const jpeg = Buffer.from([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
    await store.writeSnapshot(id, jpeg);
    assert.deepEqual(await readFile(store.snapshotPath(id)), jpeg);
    assert.deepEqual(await readdir(store.dir), [`${id}.jpg`]);
    assert.equal(await store.has(id, 'snapshot'), true);
    assert.equal(await store.has(id), false, 'no clip yet');
  });

  test('remove() deletes the clip and snapshot, and is fine when they are gone already', async () => {
    const store = await openStore();
    const id = idFrom(0);
    await fill(store, id, 10, 10);
    await store.remove(id);
    assert.deepEqual(await readdir(store.dir), []);
    await store.remove(id);
  });

  test('open() creates the directory, and refuses one it cannot use, naming it', async () => {
    const nested = join(root, 'a', 'b', 'clips');
    await new ClipStore({ dir: nested }).open();
    assert.deepEqual(await readdir(dirname(nested)), ['clips']);
    const file = join(root, 'a-file');
    await writeFile(file, 'x');
    await assert.rejects(new ClipStore({ dir: join(file, 'clips') }).open(), new RegExp(`clip store ${file}/clips is not usable`));
  });

  test('retention deletes alarms past maxAge, clip and snapshot together, and returns their ids', async () => {
    const store = await openStore({ maxAgeMs: 7 * DAY });
    const [old, older, young] = [idFrom(8), idFrom(30), idFrom(1)];
    for (const id of [old, older, young]) await fill(store, id, 100, 50);
    const outcome = await store.enforceRetention(NOW);
    assert.deepEqual(outcome.deleted, [older, old]);
    assert.equal(outcome.bytes, 150);
    assert.deepEqual((await readdir(store.dir)).sort(), [`${young}.jpg`, `${young}.mp4`]);
  });

  test('retention then deletes the oldest until the store fits in maxBytes, sparing ids in keep', async () => {
    const store = await openStore({ maxBytes: 1000 });
    const ids = [idFrom(4), idFrom(3), idFrom(2), idFrom(1)];
    for (const id of ids) await fill(store, id, 300, 100);
    const outcome = await store.enforceRetention(NOW, new Set([ids[0]]));
    assert.deepEqual(outcome.deleted, [ids[1], ids[2]], 'the oldest is being encoded and stays');
    assert.equal(outcome.bytes, 800);
    assert.equal(await store.has(ids[0]), true);
    assert.equal(await store.has(ids[3], 'snapshot'), true);
  });

  test('retention leaves files of other names alone and removes only partial files old enough to be leftovers', async () => {
    const store = await openStore({ maxAgeMs: 1, maxBytes: 0 });
    const id = idFrom(0);
    const foreign = ['notes.txt', 'ABCDEFGHI0123456789.mp4', `${id}.mp4.bak`, `${id}.webm`, '.hidden'];
    for (const name of foreign) await writeFile(join(store.dir, name), 'keep me');
    const stale = `.${id}.mp4.0badc0de.partial`;
    const fresh = `.${id}.jpg.12345678.partial`;
    await writeFile(join(store.dir, stale), 'crashed mid-encode');
    await writeFile(join(store.dir, fresh), 'being written');
    const longAgo = new Date(Date.now() - 3600_000);
    await utimes(join(store.dir, stale), longAgo, longAgo);

    const outcome = await store.enforceRetention(Date.now());
    assert.equal(outcome.partialsRemoved, 1);
    assert.deepEqual(outcome.deleted, []);
    assert.deepEqual((await readdir(store.dir)).sort(), [...foreign, fresh].sort());
  });

  test('a store of young, small alarms is left as it is', async () => {
    const store = await openStore();
    const id = idFrom(0);
    await fill(store, id, 100, 100);
    const { freeBytes, ...outcome } = await store.enforceRetention(NOW);
    assert.deepEqual(outcome, { deleted: [], bytes: 200, partialsRemoved: 0 });
    assert.ok(freeBytes > 0, `the disk's free bytes are reported (${freeBytes})`);
  });
});
