/** Signed links for webhook receivers. Guards against a link altered to reach another clip, or to live forever. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { deriveKey, isCanonicalPath, linkKeyFrom, MAX_LINK_TTL_MS, signedPath, signLink, verifyLink } from '@vigil/auth';

const key = linkKeyFrom('a configured secret of enough length');
const now = 1_700_000_000_000;
const path = '/api/alarms/a1b2c3/clip';
const expiresAt = now + 60_000;

describe('signLink / verifyLink', () => {
  test('a signed link verifies until it expires', () => {
    const query = signLink(path, expiresAt, key);
    assert.equal(query.exp, String(expiresAt));
    assert.match(query.sig, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(verifyLink(path, query, key, now), true);
    assert.equal(verifyLink(path, query, key, expiresAt - 1), true);
    assert.equal(verifyLink(path, query, key, expiresAt), false);
    assert.equal(verifyLink(path, query, key, expiresAt + 1), false);
  });

  test('signedPath is the path with the same query', () => {
    const url = new URL(signedPath(path, expiresAt, key), 'https://vigil.example');
    assert.equal(url.pathname, path);
    assert.equal(verifyLink(url.pathname, Object.fromEntries(url.searchParams), key, now), true);
  });

  test('an altered expiry, signature or path fails', () => {
    const { exp, sig } = signLink(path, expiresAt, key);
    const flipped = sig[0] === 'A' ? `B${sig.slice(1)}` : `A${sig.slice(1)}`;
    const cases: [string, Record<string, unknown>][] = [
      [path, { exp: String(expiresAt + 1), sig }],
      [path, { exp: String(expiresAt + 365 * 24 * 3600 * 1000), sig }],
      [path, { exp: `0${exp}`, sig }],
      [path, { exp: `${exp}.0`, sig }],
      [path, { exp, sig: sig.slice(0, -1) }],
      [path, { exp, sig: sig.slice(0, 20) }],
      [path, { exp, sig: `${sig}A` }],
      [path, { exp, sig: flipped }],
      [path, { exp, sig: '' }],
      [path, { exp }],
      [path, { sig }],
      [path, { exp: [exp], sig }],
      [path, { exp, sig: [sig, sig] }],
      [path, { exp, sig: { toString: () => sig } }],
      [path, { exp, sig: 'x'.repeat(1024 * 1024) }],
      [path, { exp: '9'.repeat(100_000), sig }],
      ['/api/alarms/other/clip', { exp, sig }],
      ['/api/alarms/a1b2c3/snapshot', { exp, sig }],
      [`${path}/`, { exp, sig }],
      [`${path}/../clip`, { exp, sig }],
      ['/api/alarms/a1b2c3/../a1b2c3/clip', { exp, sig }],
      ['/api/alarms/a1b2c3//clip', { exp, sig }],
      ['/api/alarms/a1b2c3/%63lip', { exp, sig }],
      [path.toUpperCase(), { exp, sig }],
    ];
    for (const [p, query] of cases) assert.equal(verifyLink(p, query, key, now), false, `${p} ${JSON.stringify(query).slice(0, 80)}`);
  });

  test('another spelling of the same signature bytes fails: the text is compared', () => {
    const { exp, sig } = signLink(path, expiresAt, key);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = sig.slice(0, -1) + alphabet[alphabet.indexOf(sig.at(-1)!) ^ 1];
    assert.deepEqual(Buffer.from(twin, 'base64url'), Buffer.from(sig, 'base64url'));
    assert.equal(verifyLink(path, { exp, sig: twin }, key, now), false);
  });

  test('a link signed with another key, or with the secret itself as the key, fails', () => {
    const query = signLink(path, expiresAt, key);
    assert.equal(verifyLink(path, query, linkKeyFrom('another configured secret value'), now), false);
    const rawKey = Buffer.from('a configured secret of enough length');
    assert.equal(verifyLink(path, signLink(path, expiresAt, rawKey), key, now), false);
  });

  test('the signature covers the path and the expiry together (no moving the boundary)', () => {
    const a = signLink('/api/alarms/x1', 12_345_678_901_234, key);
    const b = signLink('/api/alarms/x', 112_345_678_901_234, key);
    assert.notEqual(a.sig, b.sig);
    const manual = createHmac('sha256', key).update(`vigil-link-v1\n/api/alarms/x1\n12345678901234`).digest('base64url');
    assert.equal(a.sig, manual);
  });

  test('no link is accepted for longer than MAX_LINK_TTL_MS from now, even when signed', () => {
    const far = signLink(path, now + MAX_LINK_TTL_MS + 1, key);
    assert.equal(verifyLink(path, far, key, now), false);
    assert.equal(verifyLink(path, far, key, now + 2), true);
  });

  test('only canonical paths and epoch-ms expiries can be signed', () => {
    for (const bad of ['', '/', 'api/x', '/a/../b', '/a/./b', '/a//b', '/a/', '/a?x=1', '/a#f', '/a b', '/a/%2e%2e', '/\u0430', `/${'a'.repeat(2000)}`]) {
      assert.equal(isCanonicalPath(bad), false, bad.slice(0, 40));
      assert.throws(() => signLink(bad, expiresAt, key), RangeError, bad.slice(0, 40));
    }
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) assert.throws(() => signLink(path, bad, key), RangeError, String(bad));
  });
});

describe('deriveKey / linkKeyFrom', () => {
  test('one key per purpose, the same each time, not the secret', () => {
    const secret = 'a configured secret of enough length';
    assert.deepEqual(deriveKey(secret, 'signed links'), linkKeyFrom(secret));
    assert.notDeepEqual(deriveKey(secret, 'signed links'), deriveKey(secret, 'something else'));
    assert.equal(linkKeyFrom(secret).length, 32);
    assert.ok(!linkKeyFrom(secret).equals(Buffer.from(secret).subarray(0, 32)));
  });

  test('a short secret or an empty purpose is refused', () => {
    assert.throws(() => linkKeyFrom('short'), RangeError);
    assert.throws(() => deriveKey('a configured secret of enough length', ''), RangeError);
  });
});
