/** Usernames, stored records, revocations, audit entries and rate-limit buckets: the shapes everything else trusts. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addressBucket,
  auditDetail,
  auditEntrySchema,
  auditText,
  hashPassword,
  MAX_AUDIT_DETAIL_CHARS,
  newSessionId,
  newUserRecord,
  revocationSchema,
  revokes,
  sessionHandle,
  sessionIdentity,
  userRecordSchema,
  usernameKey,
  usernameSchema,
  userView,
  type Identity,
} from '@vigil/auth';

describe('usernames', () => {
  test('ASCII names are taken; case does not tell users apart', () => {
    for (const name of ['alice', 'Alice.Smith', 'ops@site', 'bob_2', 'a', 'x'.repeat(64)]) assert.ok(usernameSchema.safeParse(name).success, name);
    assert.equal(usernameKey('Alice'), usernameKey('aLICE'));
  });

  test('lookalikes, invisible characters and control characters are refused, so nobody poses as "admin"', () => {
    const hostile = [
      '\u0430dmin', // Cyrillic a
      'ａｄｍｉｎ', // fullwidth
      'admin\u200b', // zero-width space
      '\u202eadmin',
      'admın', // dotless i
      'admin\u0301',
      '\u212Aelvin', // the Kelvin sign lower-cases to an ASCII k
      'admin ',
      ' admin',
      'ad min',
      'admin\n',
      '.admin',
      '-admin',
      '',
      'x'.repeat(65),
    ];
    for (const name of hostile) assert.equal(usernameSchema.safeParse(name).success, false, JSON.stringify(name));
    assert.equal('\u212A'.toLowerCase(), 'k', 'why the pattern is checked before lower-casing');
  });
});

describe('user records', () => {
  test('newUserRecord makes a valid record; the view has no hash', async () => {
    const record = newUserRecord({ username: 'Alice', role: 'viewer', cameras: ['gate'] }, await hashPassword('long enough'), 5);
    assert.ok(userRecordSchema.safeParse(record).success);
    assert.match(record.id, /^[0-9a-f]{16}$/);
    assert.ok(!('passwordHash' in userView(record)));
    const handle = sessionHandle(newSessionId());
    assert.deepEqual(sessionIdentity(record, { id: handle, expiresAt: 9 }), {
      kind: 'session',
      id: record.id,
      name: 'Alice',
      role: 'viewer',
      cameras: ['gate'],
      expiresAt: 9,
      session: handle,
    });
  });

  test('a record with an absurd password hash is not a user record', async () => {
    const record = newUserRecord({ username: 'alice', role: 'admin' }, await hashPassword('long enough'), 5);
    const planted = { ...record, passwordHash: record.passwordHash.replace('$32768$', `$${2 ** 30}$`) };
    assert.equal(userRecordSchema.safeParse(planted).success, false);
    assert.equal(userRecordSchema.safeParse({ ...record, isAdmin: true }).success, false);
  });
});

describe('revocations', () => {
  const session: Identity = { kind: 'session', id: '0123456789abcdef', name: 'alice', role: 'viewer', session: sessionHandle(newSessionId()) };
  const token: Identity = { kind: 'token', id: 'fedcba9876543210', name: 'nvr', role: 'viewer' };
  const bootstrap: Identity = { kind: 'bootstrap', id: 'admin-token', name: 'ADMIN_TOKEN', role: 'admin' };

  test('each kind ends what it names and nothing else', () => {
    assert.ok(revokes({ kind: 'token', id: token.id }, token));
    assert.equal(revokes({ kind: 'token', id: token.id }, { ...session, id: token.id }), false, 'a token revocation is not a user revocation');
    assert.ok(revokes({ kind: 'session', id: session.session! }, session));
    assert.equal(revokes({ kind: 'session', id: sessionHandle(newSessionId()) }, session), false);
    assert.ok(revokes({ kind: 'user', id: session.id }, session));
    assert.equal(revokes({ kind: 'user', id: token.id }, token), false, 'a user revocation is not a token revocation');
    for (const kind of ['token', 'user'] as const) assert.equal(revokes({ kind, id: '0000000000000000' }, bootstrap), false);
  });

  test('messages that are not revocations are refused', () => {
    for (const message of [{ kind: 'token', id: 'x' }, { kind: 'all' }, { kind: 'session', id: '0123456789abcdef' }, { kind: 'user', id: '0123456789abcdef', extra: 1 }, null, 'token']) {
      assert.equal(revocationSchema.safeParse(message).success, false, JSON.stringify(message));
    }
  });
});

describe('audit entries', () => {
  const entry = { at: 1, actor: { kind: 'session', id: '0123456789abcdef', name: 'alice' }, address: '203.0.113.7', action: 'camera.update', target: 'gate' };

  test('a well-formed entry passes; control characters and odd actions do not', () => {
    assert.ok(auditEntrySchema.safeParse(entry).success);
    assert.ok(auditEntrySchema.safeParse({ ...entry, address: '2001:db8::1' }).success);
    for (const bad of [{ target: 'a\nb' }, { action: 'Camera Update' }, { address: '1.2.3.4\n' }, { actor: { ...entry.actor, kind: 'root' } }, { extra: 1 }]) {
      assert.equal(auditEntrySchema.safeParse({ ...entry, ...bad }).success, false, JSON.stringify(bad));
    }
  });

  test('auditDetail masks secret-named fields, URL credentials and token texts, at any depth', () => {
    const detail = auditDetail({
      camera: { url: 'rtsp://admin:hunter22@10.0.0.5/stream', name: 'gate' },
      password: 'hunter22',
      passwordHash: 'scrypt$...',
      nested: { webhook: { secret: 'whsec_abc' }, list: [{ token: 'vgl_0123456789abcdef_abc' }] },
      note: 'created vgl_0123456789abcdef_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo here',
    });
    const text = JSON.stringify(detail);
    for (const secret of ['hunter22', 'scrypt$', 'whsec_abc', 'vgl_0123456789abcdef_']) assert.ok(!text.includes(secret), `${secret} in ${text}`);
    assert.ok(text.includes('gate'));
    assert.ok(text.includes('10.0.0.5'));
  });

  test('auditDetail bounds size, depth and breadth, and never throws', () => {
    const big = auditDetail({ a: 'x'.repeat(1000), b: 'y'.repeat(1000), c: 'z'.repeat(1000), d: 'w'.repeat(1000), e: 'v'.repeat(1000) });
    assert.deepEqual(Object.keys(big), ['truncated', 'length']);
    assert.equal(big.truncated, true);
    assert.ok((big.length as number) > MAX_AUDIT_DETAIL_CHARS);
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 50; i++) deep = { deep };
    assert.ok(JSON.stringify(auditDetail(deep)).length < 200);
    const wide = auditDetail({ list: Array.from({ length: 100_000 }, () => 1) });
    assert.equal((wide.list as unknown[]).length, 100);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.doesNotThrow(() => JSON.stringify(auditDetail(cyclic)));
    assert.doesNotThrow(() => JSON.stringify(auditDetail({ n: 10n, f: () => 1 })));
    assert.equal(auditDetail({ s: 'é'.repeat(5000) }).s, 'é'.repeat(1024));
  });

  test('auditText makes any text a safe target: controls replaced, length cut, never empty', () => {
    assert.equal(auditText('bob\r\nadmin logged in'), 'bob\uFFFD\uFFFDadmin logged in');
    assert.equal(auditText('\u202Eevil'), '\uFFFDevil');
    assert.equal(auditText('x'.repeat(10_000)).length, 128);
    assert.equal(Array.from(auditText('😀'.repeat(300))).length, 128, 'cut at code points, not halves of a pair');
    assert.equal(auditText(''), '\uFFFD');
  });
});

describe('addressBucket', () => {
  test('IPv4 whole; IPv6 by its /64; mapped IPv4 as IPv4; zones ignored', () => {
    assert.equal(addressBucket('203.0.113.7'), '203.0.113.7');
    assert.equal(addressBucket('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(addressBucket('2001:db8:1:2:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
    assert.equal(addressBucket('2001:0DB8:0001:0002::'), '2001:db8:1:2::/64', 'leading zeros and case do not make another bucket');
    assert.equal(addressBucket('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressBucket('::1'), '0:0:0:0::/64');
    assert.equal(addressBucket('::ffff:198.51.100.9'), '198.51.100.9');
    assert.equal(addressBucket('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(addressBucket('64:ff9b::198.51.100.9'), '64:ff9b:0:0::/64');
  });

  test('text that is not an address is one bucket', () => {
    for (const text of ['', 'localhost', '1.2.3.4.5', 'x'.repeat(10_000), '::g']) assert.equal(addressBucket(text), 'not-an-address', text.slice(0, 20));
  });
});
