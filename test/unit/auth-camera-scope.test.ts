/** Camera grants: which cameras a scoped identity sees. Guards against patterns compiled into a backtracking RegExp. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CameraScope, cameraPatternsSchema, cameraPatternSchema, globMatches, MAX_CAMERA_PATTERNS } from '@vigil/auth';
import { CAMERA_ID_PATTERN } from '@vigil/contracts';
import { mulberry32 } from '../support/seeded-random';

/** The obvious recursive definition of `*` matching, exponential but fine for short texts: the reference. */
function reference(pattern: string, text: string): boolean {
  if (pattern === '') return text === '';
  if (pattern[0] === '*') return reference(pattern.slice(1), text) || (text !== '' && reference(pattern, text.slice(1)));
  return text !== '' && pattern[0] === text[0] && reference(pattern.slice(1), text.slice(1));
}

describe('cameraPatternSchema', () => {
  test('takes camera ids and globs of them', () => {
    for (const pattern of ['gate', 'dock-*', '*', '*-north', 'a*b*c', 'Cam_01']) assert.ok(cameraPatternSchema.safeParse(pattern).success, pattern);
  });

  test('refuses what is not a camera id pattern: regex syntax, paths, unicode, empty, too long', () => {
    for (const pattern of ['', 'dock-.*', 'gate|dock', '(a+)+', '../gate', 'gate?', 'gаte', 'gate ', '-gate', 'a'.repeat(65), 'dock[1]', 'x\n']) {
      assert.equal(cameraPatternSchema.safeParse(pattern).success, false, JSON.stringify(pattern));
    }
  });

  test('every camera id is a pattern that matches itself (the charsets cannot drift apart)', () => {
    const random = mulberry32(7);
    const first = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    const rest = `${first}_-`;
    for (let i = 0; i < 2000; i++) {
      const length = 1 + Math.floor(random() * 64);
      const id = Array.from({ length }, (_, at) => (at === 0 ? first : rest)[Math.floor(random() * (at === 0 ? first : rest).length)]).join('');
      assert.ok(CAMERA_ID_PATTERN.test(id), id);
      assert.ok(cameraPatternSchema.safeParse(id).success, id);
      assert.ok(new CameraScope([id]).allows(id), id);
    }
    for (const id of ['a'.repeat(65), '-x', 'x y']) assert.equal(CAMERA_ID_PATTERN.test(id) || cameraPatternSchema.safeParse(id).success, false, id);
  });

  test('a grant lists 1 to MAX_CAMERA_PATTERNS patterns: an empty list is not "none" by accident', () => {
    assert.equal(cameraPatternsSchema.safeParse([]).success, false);
    assert.equal(cameraPatternsSchema.safeParse(Array.from({ length: MAX_CAMERA_PATTERNS }, (_, i) => `cam${i}`)).success, true);
    assert.equal(cameraPatternsSchema.safeParse(Array.from({ length: MAX_CAMERA_PATTERNS + 1 }, (_, i) => `cam${i}`)).success, false);
  });
});

describe('CameraScope', () => {
  test('without patterns it allows every camera and filters nothing out', () => {
    const scope = new CameraScope(undefined);
    assert.equal(scope.all, true);
    assert.ok(scope.allows('anything'));
    assert.deepEqual(scope.filter([{ id: 'a' }, { id: 'b' }], (c) => c.id), [{ id: 'a' }, { id: 'b' }]);
  });

  test("['gate', 'dock-*'] allows gate and the docks, nothing else", () => {
    const scope = CameraScope.of({ cameras: ['gate', 'dock-*'] });
    assert.equal(scope.all, false);
    for (const id of ['gate', 'dock-', 'dock-1', 'dock-north-2']) assert.ok(scope.allows(id), id);
    for (const id of ['gate2', 'Gate', 'xgate', 'dock', 'dockyard', 'yard', '']) assert.equal(scope.allows(id), false, id);
    assert.deepEqual(scope.filter(['yard', 'dock-1', 'gate', 'roof'], (id) => id), ['dock-1', 'gate']);
  });

  test('a pattern matches whole ids: no prefix or suffix match by accident', () => {
    const scope = new CameraScope(['*-north']);
    assert.ok(scope.allows('dock-north'));
    assert.equal(scope.allows('dock-north-2'), false);
    assert.equal(new CameraScope(['a*a']).allows('a'), false, 'the first and last parts may not overlap');
    assert.ok(new CameraScope(['a*a']).allows('aa'));
  });

  test('agrees with the reference definition on generated patterns and ids', () => {
    const random = mulberry32(11);
    const pick = (alphabet: string, max: number): string => Array.from({ length: Math.floor(random() * (max + 1)) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    for (let i = 0; i < 5000; i++) {
      const pattern = pick('ab*', 7);
      const text = pick('ab', 9);
      assert.equal(globMatches(pattern.split('*'), text), reference(pattern, text), `${JSON.stringify(pattern)} vs ${JSON.stringify(text)}`);
    }
  });

  test('the attacker\'s pattern "**********a" (and friends) against long ids: answered, in one pass', () => {
    // A backtracking matcher takes exponential steps here; counting calls to indexOf bounds ours by the part count.
    const id = 'a'.repeat(63) + 'b';
    const patterns = ['**********a', '*a*a*a*a*a*a*a*a*a*a*c', 'a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c'];
    for (const pattern of patterns) assert.equal(cameraPatternSchema.safeParse(pattern).success, true, pattern);
    const scopes = patterns.map((pattern) => new CameraScope([pattern]));
    const original = String.prototype.indexOf;
    let searches = 0;
    String.prototype.indexOf = function (this: string, ...args: Parameters<string['indexOf']>) {
      searches += 1;
      return original.apply(this, args);
    };
    try {
      for (const scope of scopes) assert.equal(scope.allows(id), false);
    } finally {
      String.prototype.indexOf = original;
    }
    assert.ok(searches <= patterns.reduce((sum, pattern) => sum + pattern.split('*').length, 0), `${searches} searches`);
  });
});
