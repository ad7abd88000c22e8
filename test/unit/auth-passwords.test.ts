/** Password hashing. Guards against: a hash planted in Redis whose parameters make one login take minutes or gigabytes. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { DEFAULT_SCRYPT, dummyVerify, hashPassword, isPasswordHash, needsRehash, PASSWORD_MAX_LENGTH, passwordSchema, verifyPassword } from '@vigil/auth';

/** How many times scrypt ran during `run` (the compiled module calls it through the module object). */
async function scryptRuns(run: () => Promise<unknown>): Promise<{ runs: number; params: unknown[] }> {
  const original = crypto.scrypt;
  const params: unknown[] = [];
  (crypto as { scrypt: unknown }).scrypt = (...args: unknown[]) => {
    params.push(args[3]);
    return (original as (...a: unknown[]) => void)(...args);
  };
  try {
    await run();
  } finally {
    (crypto as { scrypt: unknown }).scrypt = original;
  }
  return { runs: params.length, params };
}

describe('hashPassword / verifyPassword', () => {
  test('a hash verifies its password and no other', async () => {
    const stored = await hashPassword('correct horse battery');
    assert.match(stored, new RegExp(`^scrypt\\$${DEFAULT_SCRYPT.N}\\$${DEFAULT_SCRYPT.r}\\$${DEFAULT_SCRYPT.p}\\$[A-Za-z0-9_-]{22}\\$[A-Za-z0-9_-]{43}$`));
    assert.equal(await verifyPassword('correct horse battery', stored), true);
    assert.equal(await verifyPassword('correct horse batterY', stored), false);
    assert.equal(await verifyPassword('correct horse battery ', stored), false);
    assert.equal(await verifyPassword(undefined, stored), false);
    assert.equal(await verifyPassword(['correct horse battery'], stored), false);
  });

  test('each hash has its own salt', async () => {
    const [a, b] = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
    assert.notEqual(a, b);
  });

  test('passwords composed differently by two keyboards are the same password (NFKC)', async () => {
    const stored = await hashPassword('caf\u00e9-latte');
    assert.equal(await verifyPassword('cafe\u0301-latte', stored), true);
  });

  test('passwords outside 8..1024 characters are refused before any hashing', async () => {
    await assert.rejects(hashPassword('short'), RangeError);
    await assert.rejects(hashPassword('x'.repeat(PASSWORD_MAX_LENGTH + 1)), RangeError);
    const stored = await hashPassword('x'.repeat(PASSWORD_MAX_LENGTH));
    assert.equal(await verifyPassword('x'.repeat(PASSWORD_MAX_LENGTH), stored), true);
    assert.equal(await verifyPassword('x'.repeat(1024 * 1024), stored), false);
    assert.equal(passwordSchema.safeParse('1234567').success, false);
    assert.equal(passwordSchema.safeParse('12345678').success, true);
  });

  test('parameters that verification would refuse cannot be used to hash either', async () => {
    await assert.rejects(hashPassword('long enough', { N: 2 ** 20, r: 8, p: 1 }), RangeError);
    await assert.rejects(hashPassword('long enough', { N: 3000, r: 8, p: 1 }), RangeError);
  });
});

describe('stored hashes read back from Redis are hostile', () => {
  const salt = Buffer.alloc(16, 1).toString('base64url');
  const hash = Buffer.alloc(32, 2).toString('base64url');
  const absurd = {
    'N = 2^30 (128 GiB)': `scrypt$${2 ** 30}$8$1$${salt}$${hash}`,
    'N = 2^20 (1 GiB)': `scrypt$${2 ** 20}$8$1$${salt}$${hash}`,
    'p = 99 (99 times the work)': `scrypt$32768$8$99$${salt}$${hash}`,
    'r = 99': `scrypt$32768$99$1$${salt}$${hash}`,
    'N not a power of two': `scrypt$30000$8$1$${salt}$${hash}`,
    'N = 2^4 (too weak to be ours)': `scrypt$16$8$1$${salt}$${hash}`,
    'no salt': `scrypt$32768$8$1$$${hash}`,
    'short hash': `scrypt$32768$8$1$${salt}$${Buffer.alloc(8).toString('base64url')}`,
    'another scheme': `bcrypt$32768$8$1$${salt}$${hash}`,
    'extra field': `scrypt$32768$8$1$${salt}$${hash}$x`,
    'padding': `scrypt$32768$8$1$${salt}==$${hash}`,
    'huge': `scrypt$32768$8$1$${salt}$${'A'.repeat(100_000)}`,
    'empty': '',
  };
  for (const [name, stored] of Object.entries(absurd)) {
    test(`${name}: not a hash, and verification says false without running scrypt on it`, async () => {
      assert.equal(isPasswordHash(stored), false);
      const { runs } = await scryptRuns(async () => assert.equal(await verifyPassword('any password', stored), false));
      assert.equal(runs, 0);
      assert.equal(needsRehash(stored), true);
    });
  }
});

describe('dummyVerify and needsRehash', () => {
  test('dummyVerify is false for any input, and runs scrypt once with the default parameters, as a real check does', async () => {
    for (const input of ['correct horse battery', '', 42, 'x'.repeat(5000)]) {
      const { runs, params } = await scryptRuns(async () => assert.equal(await dummyVerify(input), false));
      assert.equal(runs, 1, JSON.stringify(input).slice(0, 20));
      assert.deepEqual(params[0], { ...DEFAULT_SCRYPT, maxmem: (params[0] as { maxmem: number }).maxmem });
    }
    const stored = await hashPassword('a real password');
    const real = await scryptRuns(() => verifyPassword('a real password', stored));
    const dummy = await scryptRuns(() => dummyVerify('a real password'));
    assert.deepEqual(dummy.params, real.params);
  });

  test('a hash made with other allowed parameters still verifies, and asks to be redone', async () => {
    const stored = await hashPassword('older settings', { N: 2 ** 14, r: 8, p: 1 });
    assert.equal(await verifyPassword('older settings', stored), true);
    assert.equal(needsRehash(stored), true);
    assert.equal(needsRehash(await hashPassword('current settings')), false);
  });
});
