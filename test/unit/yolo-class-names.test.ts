import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseClassNames, readLabels } from '../../libs/detect/src/onnx/class-names';
import { pythonDict } from '../support/onnx-models';

describe('parseClassNames (the names metadata of an Ultralytics export)', () => {
  test("reads Python's dict repr as Ultralytics writes it", () => {
    assert.deepEqual(parseClassNames("{0: 'person', 1: 'helmet', 2: 'no_helmet'}", 'test'), ['person', 'helmet', 'no_helmet']);
  });

  test("reads a name with an apostrophe, which Python quotes with \" (a naive split on ' breaks here)", () => {
    assert.deepEqual(parseClassNames(`{0: "driver's cab", 1: 'hard hat'}`, 'test'), ["driver's cab", 'hard hat']);
  });

  test('reads escapes: quotes, backslashes, \\x, \\u and \\U', () => {
    assert.deepEqual(parseClassNames(String.raw`{0: 'say \'hi\' "x"', 1: 'back\\slash', 2: 'caf\xe9', 3: '\u00fcber', 4: '\U0001F477', 5: 'tab\there'}`, 'test'), [
      `say 'hi' "x"`,
      'back\\slash',
      'café',
      'über',
      '👷',
      'tab\there',
    ]);
  });

  test('round-trips awkward names through the repr the test models write', () => {
    const names = ['a,b', 'c: d', "it's", 'say "x"', `both ' and "`, '{braces}', 'back\\slash', 'línea'];
    assert.deepEqual(parseClassNames(pythonDict(names), 'test'), names);
  });

  test('reads a list, JSON, and bare words too', () => {
    assert.deepEqual(parseClassNames("['person', 'helmet']", 'test'), ['person', 'helmet']);
    assert.deepEqual(parseClassNames('{"0": "person", "1": "helmet"}', 'test'), ['person', 'helmet']);
    assert.deepEqual(parseClassNames('{0: person, 1: no helmet}', 'test'), ['person', 'no helmet']);
    assert.deepEqual(parseClassNames("  {1: 'b',\n 0: 'a',}  ", 'test'), ['a', 'b']);
  });

  test('refuses ids with a gap, saying which is missing and where the names came from', () => {
    assert.throws(() => parseClassNames("{0: 'a', 2: 'c'}", 'the names metadata of m.onnx'), /the names metadata of m\.onnx: class ids must run from 0 to 2, 1 is missing/);
  });

  test('refuses text that is not a dict or list, naming the source and the position', () => {
    assert.throws(() => parseClassNames("{0: 'person'", 'the names metadata of m.onnx'), /cannot read class names from the names metadata of m\.onnx: expected ',' or '}' at character 12/);
    assert.throws(() => parseClassNames("{0: 'person", 'x'), /unterminated string/);
    assert.throws(() => parseClassNames('{}', 'x'), /x holds no class names/);
    assert.throws(() => parseClassNames("{'a': 'person'}", 'x'), /class id "a" is not a non-negative integer/);
    assert.throws(() => parseClassNames("{0: ''}", 'x'), /class 0 has no name/);
    assert.throws(() => parseClassNames('person', 'x'), /expected a list of class names or an \{id: name\} map/);
  });
});

describe('readLabels', () => {
  let dir: string;
  const write = async (name: string, text: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-labels-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('one name per line (CRLF, a BOM, surrounding spaces and trailing blank lines are fine)', async () => {
    assert.deepEqual(await readLabels(await write('coco.names', '\uFEFFperson\r\n helmet \r\nno_helmet\r\n\r\n')), ['person', 'helmet', 'no_helmet']);
    assert.deepEqual(await readLabels(await write('labels.txt', 'a\nb')), ['a', 'b']);
  });

  test('refuses a blank line in the middle, which would shift every later id', async () => {
    await assert.rejects(readLabels(await write('gap.txt', 'person\n\nhelmet\n')), /labels file .*gap\.txt: line 2 is empty/);
  });

  test('a JSON list or {id: name} map', async () => {
    assert.deepEqual(await readLabels(await write('list.json', '["person", "helmet"]')), ['person', 'helmet']);
    assert.deepEqual(await readLabels(await write('map.json', '{"1": "helmet", "0": "person"}')), ['person', 'helmet']);
  });

  test('a YAML list, map, or an Ultralytics dataset file with a names key', async () => {
    assert.deepEqual(await readLabels(await write('list.yaml', '- person\n- helmet\n')), ['person', 'helmet']);
    assert.deepEqual(await readLabels(await write('map.yml', '0: person\n1: helmet\n')), ['person', 'helmet']);
    const dataset = 'path: ../datasets/ppe\ntrain: images/train\nval: images/val\nnames:\n  0: person\n  1: helmet\n  2: harness\n';
    assert.deepEqual(await readLabels(await write('data.yaml', dataset)), ['person', 'helmet', 'harness']);
  });

  test('refuses a JSON file that does not parse, naming it', async () => {
    await assert.rejects(readLabels(await write('bad.json', '["person",')), /cannot parse labels file .*bad\.json/);
  });

  test('refuses a missing file, naming the path', async () => {
    const path = join(dir, 'nope.txt');
    await assert.rejects(readLabels(path), (error: Error) => error.message === `labels file not found: ${path}`);
  });
});
