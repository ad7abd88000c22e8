/** API tokens and session ids: what is shown once, what is stored, and what a forged or mangled credential gets. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  API_TOKEN_LENGTH,
  hashTokenSecret,
  issueToken,
  newApiToken,
  newSessionId,
  parseApiToken,
  parseSessionId,
  sessionHandle,
  tokenIdentity,
  tokenInputSchema,
  tokenRecordSchema,
  tokenSecretMatches,
  tokenView,
} from '@vigil/auth';

describe('newApiToken / parseApiToken', () => {
  test('a new token reads vgl_<16 hex>_<43 base64url> and parses back to its id and secret', () => {
    const { id, secret, token } = newApiToken();
    assert.match(token, /^vgl_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.equal(token.length, API_TOKEN_LENGTH);
    assert.deepEqual(parseApiToken(token), { id, secret });
    assert.equal(Buffer.from(secret, 'base64url').length, 32);
  });

  test('tokens are not repeated', () => {
    const seen = new Set(Array.from({ length: 200 }, () => newApiToken().token));
    assert.equal(seen.size, 200);
  });

  test('anything but the exact format is undefined', () => {
    const { token } = newApiToken();
    const hostile: unknown[] = [
      `${token}x`,
      ` ${token}`,
      `${token}\n`,
      `Bearer ${token}`,
      token.slice(0, -1),
      token.replace('vgl_', 'VGL_'),
      token.replace(/^vgl_([0-9a-f])/, 'vgl_A'),
      token.slice(0, 20) + '\u0430' + token.slice(21), // a Cyrillic lookalike inside the id
      token.slice(0, -1) + '=',
      `vgl_${'0'.repeat(16)}_${'A'.repeat(42)}+`,
      `${token}`.repeat(16384), // 1 MB
      'x'.repeat(1024 * 1024),
      '',
      undefined,
      123,
      [token],
      { toString: () => token },
    ];
    for (const text of hostile) assert.equal(parseApiToken(text), undefined, String(text).slice(0, 70));
  });
});

describe('hashTokenSecret / tokenSecretMatches', () => {
  test('the stored hash matches its secret only, and does not contain it', () => {
    const { secret } = newApiToken();
    const hash = hashTokenSecret(secret);
    assert.match(hash, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(!hash.includes(secret));
    assert.equal(tokenSecretMatches(secret, hash), true);
    assert.equal(tokenSecretMatches(newApiToken().secret, hash), false);
    assert.equal(tokenSecretMatches(`${secret}x`, hash), false);
  });

  test('another spelling of the same secret bytes does not match (the text is hashed, not the bytes)', () => {
    const { secret } = newApiToken();
    // the 43rd base64url character carries two unused bits: this spelling decodes to the same 32 bytes
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(secret.at(-1)!);
    const twin = secret.slice(0, -1) + alphabet[last ^ 1];
    assert.deepEqual(Buffer.from(twin, 'base64url'), Buffer.from(secret, 'base64url'));
    assert.equal(tokenSecretMatches(twin, hashTokenSecret(secret)), false);
  });

  test('a malformed stored hash matches nothing', () => {
    for (const hash of ['', 'x', hashTokenSecret('s').slice(0, 42), `${hashTokenSecret('s')}A`, 'A'.repeat(100_000)]) {
      assert.equal(tokenSecretMatches('s', hash), false, hash.slice(0, 50));
    }
  });
});

describe('issueToken', () => {
  test('makes a valid record holding the hash of the token it returns, never the secret', () => {
    const { record, token } = issueToken({ name: 'nvr', role: 'viewer', cameras: ['gate'] }, 1000);
    assert.ok(tokenRecordSchema.safeParse(record).success);
    const parsed = parseApiToken(token)!;
    assert.equal(record.id, parsed.id);
    assert.equal(tokenSecretMatches(parsed.secret, record.secretHash), true);
    assert.ok(!JSON.stringify(record).includes(parsed.secret));
    assert.deepEqual(tokenIdentity(record), { kind: 'token', id: record.id, name: 'nvr', role: 'viewer', cameras: ['gate'], expiresAt: undefined });
    assert.ok(!('secretHash' in tokenView(record)));
    assert.equal(tokenView(record, 5).lastUsedAt, 5);
  });

  test('refuses an expiry that has passed', () => {
    assert.throws(() => issueToken({ name: 'old', role: 'admin', expiresAt: 1000 }, 1000), RangeError);
  });

  test('the input schema refuses unknown fields, a hash, bad roles and names', () => {
    const bad: unknown[] = [
      { name: 'x', role: 'viewer', secretHash: hashTokenSecret('s') },
      { name: 'x', role: 'root' },
      { name: '', role: 'viewer' },
      { name: 'evil\u202Egnp.exe', role: 'viewer' },
      { name: 'a\nb', role: 'viewer' },
      { name: 'x'.repeat(129), role: 'viewer' },
      { name: 'x', role: 'viewer', cameras: [] },
      { name: 'x', role: 'viewer', expiresAt: 1.5 },
    ];
    for (const input of bad) assert.equal(tokenInputSchema.safeParse(input).success, false, JSON.stringify(input));
    assert.ok(tokenInputSchema.safeParse({ name: 'NVR at gate ✓', role: 'viewer', cameras: ['dock-*'], expiresAt: 2000 }).success);
  });
});

describe('session ids', () => {
  test('a new session id is 32 random bytes; its handle is a digest that does not contain it', () => {
    const id = newSessionId();
    assert.equal(Buffer.from(id, 'base64url').length, 32);
    assert.equal(parseSessionId(id), id);
    assert.notEqual(sessionHandle(id), id);
    assert.equal(sessionHandle(id), sessionHandle(id));
    assert.notEqual(sessionHandle(newSessionId()), sessionHandle(id));
  });

  test('a cookie value that is not a session id is undefined', () => {
    const id = newSessionId();
    for (const text of [`${id}x`, id.slice(1), `${id.slice(0, -1)}=`, `${id.slice(0, -1)}.`, 'x'.repeat(1 << 20), '', undefined, [id]]) {
      assert.equal(parseSessionId(text), undefined, String(text).slice(0, 50));
    }
  });
});
