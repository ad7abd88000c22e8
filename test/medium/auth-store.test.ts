/**
 * Tokens, users and sessions against a real redis-server: what is stored (hashes only), what is read back (checked
 * like any input: planted records are skipped and logged once), and what every replica hears when a credential ends.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import Redis from 'ioredis';
import { hashPassword, issueToken, newSessionId, newUserRecord, sessionHandle, type TokenRecord } from '@vigil/auth';
import { authKeys } from '@vigil/contracts';
import { AuthStoreFullError, Revocations, SessionRepository, TokenRepository, UsernameTakenError, UserRepository } from '@vigil/redis';
import { startRedisServer, type RedisServerHandle } from '../../scripts/support';
import { keptWarnings, revocationTap } from '../support/auth-fixtures';

describe('auth repositories against a real redis-server', { timeout: 60_000 }, () => {
  let redis: RedisServerHandle;
  let client: Redis;
  let tap: Awaited<ReturnType<typeof revocationTap>>;
  let warnings: ReturnType<typeof keptWarnings>;
  let tokens: TokenRepository;
  let sessions: SessionRepository;
  let users: UserRepository;
  let passwordHash: string;

  before(async () => {
    redis = await startRedisServer();
    client = new Redis(redis.url);
    tap = await revocationTap(redis.url);
    passwordHash = await hashPassword('a long enough password');
  });

  beforeEach(async () => {
    await client.flushall();
    warnings = keptWarnings();
    const revocations = new Revocations(client, warnings);
    tokens = new TokenRepository(client, revocations, { maxTokens: 5, logger: warnings });
    sessions = new SessionRepository(client, revocations, { maxPerUser: 3, logger: warnings });
    users = new UserRepository(client, sessions, revocations, { maxUsers: 5, logger: warnings });
  });

  after(async () => {
    await tap?.close();
    await client?.quit();
    await redis?.stop();
  });

  /** Every key and value in Redis as one text, as a dump would hold it. */
  const dump = async (): Promise<string> => {
    const parts: string[] = [];
    for (const key of await client.keys('*')) {
      const type = await client.type(key);
      parts.push(key);
      if (type === 'string') parts.push((await client.get(key)) ?? '');
      if (type === 'hash') parts.push(JSON.stringify(await client.hgetall(key)));
      if (type === 'zset') parts.push(JSON.stringify(await client.zrange(key, 0, -1)));
    }
    return parts.join('\n');
  };

  describe('TokenRepository', () => {
    test('a created token verifies, is listed without its hash, and Redis holds no usable secret', async () => {
      const { record, token } = issueToken({ name: 'nvr', role: 'viewer', cameras: ['gate'] }, 1000);
      await tokens.create(record);
      assert.deepEqual(await tokens.get(record.id), record);
      assert.deepEqual(await tokens.verify(token, 2000), record);
      const [view] = await tokens.list();
      assert.equal(view!.id, record.id);
      assert.equal(view!.lastUsedAt, 2000);
      assert.ok(!('secretHash' in view!));
      const secret = token.slice(-43);
      assert.ok(!(await dump()).includes(secret), 'the secret is nowhere in Redis');
    });

    test('wrong secrets, other spellings, expired tokens and garbage do not verify', async () => {
      const { record, token } = issueToken({ name: 'short-lived', role: 'admin', expiresAt: 5000 }, 1000);
      await tokens.create(record);
      const other = issueToken({ name: 'other', role: 'admin' }, 1000).token;
      assert.equal(await tokens.verify(`vgl_${record.id}_${other.slice(-43)}`, 2000), undefined, 'another secret under this id');
      assert.equal(await tokens.verify(other, 2000), undefined, 'a token never stored');
      assert.equal(await tokens.verify(`${token} `, 2000), undefined);
      assert.equal(await tokens.verify(token.repeat(20_000), 2000), undefined);
      assert.equal(await tokens.verify(token, 5000), undefined, 'expired at expiresAt');
      assert.ok(await tokens.verify(token, 4999));
    });

    test('revoking deletes the token and every replica hears of it, once', async () => {
      const { record, token } = issueToken({ name: 'nvr', role: 'viewer' }, 1000);
      await tokens.create(record);
      await tokens.touch(record.id, 1500);
      assert.equal(await tokens.revoke(record.id), true);
      assert.deepEqual(await tap.next((r) => r.kind === 'token'), { kind: 'token', id: record.id });
      assert.equal(await tokens.verify(token, 2000), undefined);
      assert.equal(await client.hexists(authKeys.tokensLastUsed, record.id), 0);
      assert.equal(await tokens.revoke(record.id), false, 'a second revoke finds nothing');
      assert.equal(await tokens.revoke('not an id'), false);
      // a marker published after the second revoke: when it arrives, nothing else about this token came before it
      await new Revocations(client).publish({ kind: 'user', id: 'ffffffffffffffff' });
      await tap.next((r) => r.kind === 'user' && r.id === 'ffffffffffffffff');
      assert.equal(tap.heard.filter((r) => r.kind === 'token' && r.id === record.id).length, 1);
    });

    test('the table is bounded, even against creates in parallel', async () => {
      const made = Array.from({ length: 12 }, (_, i) => issueToken({ name: `t${i}`, role: 'viewer' }, 1000).record);
      const results = await Promise.allSettled(made.map((record) => tokens.create(record)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 5);
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof AuthStoreFullError);
      assert.equal(await tokens.count(), 5);
    });

    test('planted token records are skipped and logged once each, never trusted', async () => {
      const { record: good } = issueToken({ name: 'good', role: 'viewer' }, 1000);
      const planted = (overrides: Partial<Record<keyof TokenRecord, unknown>> & { extra?: unknown }): TokenRecord => ({ ...issueToken({ name: 'planted', role: 'viewer' }, 1000).record, ...overrides }) as TokenRecord;
      const root = planted({ role: 'root' });
      const extra = planted({ extra: 'field' });
      const badHash = planted({ secretHash: 'plain-secret' });
      const badCameras = planted({ cameras: ['(a+)+$'] });
      const mismatch = planted({});
      await tokens.create(good);
      await client.hset(authKeys.tokens, {
        [root.id]: JSON.stringify(root),
        [extra.id]: JSON.stringify(extra),
        [badHash.id]: JSON.stringify(badHash),
        [badCameras.id]: JSON.stringify(badCameras),
        [mismatch.id]: JSON.stringify({ ...mismatch, id: good.id }),
        '0000000000000000': '{"id": "0000000000000000", ',
      });
      await client.hset(authKeys.tokensLastUsed, good.id, 'yesterday');
      for (let pass = 0; pass < 3; pass++) assert.deepEqual((await tokens.list()).map((t) => t.id), [good.id]);
      for (const id of [root.id, extra.id, badHash.id, badCameras.id, mismatch.id, '0000000000000000']) {
        assert.equal(await tokens.get(id), undefined, id);
        assert.equal(warnings.lines.filter((line) => line.startsWith(`token "${id}" in Redis is ignored`)).length, 1, `one warning for ${id}`);
      }
      assert.equal((await tokens.list())[0]!.lastUsedAt, undefined, 'a lastUsedAt that is not a time is left out');
    });
  });

  describe('UserRepository', () => {
    test('usernames are unique whatever their case; lookups ignore case; lookalikes find nobody', async () => {
      const alice = newUserRecord({ username: 'Alice', role: 'viewer' }, passwordHash, 1);
      await users.create(alice);
      await assert.rejects(users.create(newUserRecord({ username: 'aLICE', role: 'admin' }, passwordHash, 2)), UsernameTakenError);
      assert.equal((await users.getByUsername('ALICE'))?.id, alice.id);
      for (const name of ['\u0430lice', 'alice\u200b', 'ａｌｉｃｅ', 'alice ', '']) assert.equal(await users.getByUsername(name), undefined, JSON.stringify(name));
      const [view] = await users.list();
      assert.equal(view!.username, 'Alice');
      assert.ok(!('passwordHash' in view!));
    });

    test('two creates of one name in parallel: exactly one wins', async () => {
      const results = await Promise.allSettled(['Bob', 'bob', 'BOB', 'boB'].map((username) => users.create(newUserRecord({ username, role: 'admin' }, passwordHash, 1))));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      assert.equal(await users.count(), 1);
      await Promise.allSettled(Array.from({ length: 9 }, (_, i) => users.create(newUserRecord({ username: `user${i}`, role: 'viewer' }, passwordHash, 1))));
      assert.equal(await users.count(), 5, 'bounded by maxUsers');
      await assert.rejects(users.create(newUserRecord({ username: 'late', role: 'viewer' }, passwordHash, 1)), AuthStoreFullError);
    });

    test('a change of role or cameras is heard by every replica; a new password also ends every session', async () => {
      const carol = newUserRecord({ username: 'carol', role: 'admin' }, passwordHash, 1);
      await users.create(carol);
      const scoped = await users.update(carol.id, { role: 'viewer', cameras: ['dock-*'] }, 10);
      assert.deepEqual({ role: scoped?.role, cameras: scoped?.cameras, updatedAt: scoped?.updatedAt }, { role: 'viewer', cameras: ['dock-*'], updatedAt: 10 });
      await tap.next((r) => r.kind === 'user' && r.id === carol.id);
      assert.equal((await users.update(carol.id, { cameras: null }, 11))?.cameras, undefined, 'null lifts the camera limit');
      await tap.next((r) => r.kind === 'user' && r.id === carol.id);

      const { sessionId } = await sessions.create(carol.id, 60_000);
      const newHash = await hashPassword('another long password');
      assert.equal((await users.update(carol.id, { passwordHash: newHash }, 12))?.passwordHash, newHash);
      assert.equal(await sessions.get(sessionId), undefined, 'the old session ended');
      await tap.next((r) => r.kind === 'user' && r.id === carol.id);
      assert.equal(await users.update('0000000000000000', { role: 'admin' }), undefined);
    });

    test('rehash stores a new hash of the same password without ending sessions', async () => {
      const ivan = newUserRecord({ username: 'ivan', role: 'viewer' }, await hashPassword('ivan password', { N: 2 ** 14, r: 8, p: 1 }), 1);
      await users.create(ivan);
      const { sessionId } = await sessions.create(ivan.id, 60_000);
      const current = await hashPassword('ivan password');
      assert.equal(await users.rehash(ivan.id, current), true);
      assert.equal((await users.get(ivan.id))?.passwordHash, current);
      assert.ok(await sessions.get(sessionId), 'the session goes on');
      assert.equal(await users.rehash('0000000000000000', current), false);
    });

    test('updates in parallel do not undo each other', async () => {
      const dave = newUserRecord({ username: 'dave', role: 'viewer' }, passwordHash, 1);
      await users.create(dave);
      const newHash = await hashPassword('dave has a new password');
      await Promise.all([users.update(dave.id, { role: 'admin' }), users.update(dave.id, { passwordHash: newHash }), users.update(dave.id, { cameras: ['gate'] })]);
      const after = await users.get(dave.id);
      assert.deepEqual({ role: after?.role, cameras: after?.cameras, passwordHash: after?.passwordHash }, { role: 'admin', cameras: ['gate'], passwordHash: newHash });
    });

    test('deleting a user ends its sessions and frees its name', async () => {
      const erin = newUserRecord({ username: 'erin', role: 'viewer' }, passwordHash, 1);
      await users.create(erin);
      const first = await sessions.create(erin.id, 60_000);
      const second = await sessions.create(erin.id, 60_000);
      assert.equal(await users.delete(erin.id), true);
      assert.equal(await sessions.get(first.sessionId), undefined);
      assert.equal(await sessions.get(second.sessionId), undefined);
      await tap.next((r) => r.kind === 'user' && r.id === erin.id);
      assert.equal(await users.getByUsername('erin'), undefined);
      await users.create(newUserRecord({ username: 'Erin', role: 'viewer' }, passwordHash, 2));
      assert.equal(await users.delete(erin.id), false);
    });

    test('planted user records are skipped and logged once: an N = 2^30 hash, a role of root, a name index pointing elsewhere', async () => {
      const frank = newUserRecord({ username: 'frank', role: 'viewer' }, passwordHash, 1);
      await users.create(frank);
      const slow = newUserRecord({ username: 'slow', role: 'admin' }, passwordHash.replace('$32768$', `$${2 ** 30}$`), 1);
      const root = { ...newUserRecord({ username: 'root', role: 'admin' }, passwordHash, 1), role: 'root' };
      await client.hset(authKeys.users, { [slow.id]: JSON.stringify(slow), [root.id]: JSON.stringify(root) });
      await client.hset(authKeys.usernames, { slow: slow.id, root: root.id, admin: frank.id });
      for (let pass = 0; pass < 3; pass++) assert.deepEqual((await users.list()).map((u) => u.username), ['frank']);
      assert.equal(await users.getByUsername('slow'), undefined);
      assert.equal(await users.getByUsername('root'), undefined);
      assert.equal(await users.getByUsername('admin'), undefined, "frank's record is not the user 'admin'");
      for (const id of [slow.id, root.id]) assert.equal(warnings.lines.filter((line) => line.startsWith(`user "${id}" in Redis is ignored`)).length, 1, id);
      assert.ok(!warnings.lines.some((line) => line.includes(passwordHash)), 'the log does not carry hashes');
    });

    test('a name left pointing at no user is taken over by the next create', async () => {
      await client.hset(authKeys.usernames, 'grace', '0123456789abcdef');
      const grace = newUserRecord({ username: 'Grace', role: 'viewer' }, passwordHash, 1);
      await users.create(grace);
      assert.equal((await users.getByUsername('grace'))?.id, grace.id);
    });
  });

  describe('SessionRepository', () => {
    test('a session is found by its id, not by its handle; Redis holds only the handle', async () => {
      const { sessionId, record } = await sessions.create('0123456789abcdef', 60_000, 1000);
      assert.equal(record.id, sessionHandle(sessionId));
      assert.deepEqual(await sessions.get(sessionId, 2000), record);
      assert.equal(await sessions.get(record.id, 2000), undefined, 'the stored handle is no session id');
      assert.equal(await sessions.get(newSessionId(), 2000), undefined);
      assert.equal(await sessions.get(`${sessionId}x`, 2000), undefined);
      assert.ok(!(await dump()).includes(sessionId));
    });

    test('a session is over at its expiry, and Redis forgets it by then', async () => {
      const { sessionId, record } = await sessions.create('0123456789abcdef', 60_000, 1000);
      assert.equal(await sessions.get(sessionId, record.expiresAt), undefined);
      const pttl = await client.pttl(authKeys.session(record.id));
      assert.ok(pttl > 0 && pttl <= 60_000, `PTTL ${pttl}`);
      await assert.rejects(sessions.create('0123456789abcdef', 0), RangeError);
      await assert.rejects(sessions.create('0123456789abcdef', 365 * 24 * 3600 * 1000), RangeError);
      await assert.rejects(sessions.create('not-a-user', 1000), RangeError);
    });

    test('logout ends one session and is heard by every replica', async () => {
      const { sessionId, record } = await sessions.create('0123456789abcdef', 60_000);
      const other = await sessions.create('0123456789abcdef', 60_000);
      assert.equal(await sessions.delete(sessionId), true);
      assert.deepEqual(await tap.next((r) => r.kind === 'session'), { kind: 'session', id: record.id });
      assert.equal(await sessions.get(sessionId), undefined);
      assert.ok(await sessions.get(other.sessionId), 'the other session goes on');
      assert.equal(await sessions.delete(sessionId), false);
      assert.equal(await sessions.delete('garbage'), false);
    });

    test('past maxPerUser, the oldest session ends', async () => {
      const made: Awaited<ReturnType<SessionRepository["create"]>>[] = [];
      for (let i = 0; i < 4; i++) made.push(await sessions.create('0123456789abcdef', 60_000 + i, 1000 + i));
      assert.equal(await sessions.get(made[0]!.sessionId, 2000), undefined);
      for (const session of made.slice(1)) assert.ok(await sessions.get(session.sessionId, 2000));
      await tap.next((r) => r.kind === 'session' && r.id === made[0]!.record.id);
    });

    test('deleteAllForUser ends every session of that user only', async () => {
      const mine = [await sessions.create('0123456789abcdef', 60_000), await sessions.create('0123456789abcdef', 60_000)];
      const theirs = await sessions.create('fedcba9876543210', 60_000);
      assert.equal(await sessions.deleteAllForUser('0123456789abcdef'), 2);
      for (const session of mine) assert.equal(await sessions.get(session.sessionId), undefined);
      assert.ok(await sessions.get(theirs.sessionId));
      await tap.next((r) => r.kind === 'user' && r.id === '0123456789abcdef');
    });

    test('a planted session record is not a session', async () => {
      const sessionId = newSessionId();
      const handle = sessionHandle(sessionId);
      for (const planted of [
        JSON.stringify({ id: handle, userId: '0123456789abcdef', createdAt: 1, expiresAt: Number.MAX_SAFE_INTEGER, role: 'admin' }),
        JSON.stringify({ id: sessionHandle(newSessionId()), userId: '0123456789abcdef', createdAt: 1, expiresAt: Number.MAX_SAFE_INTEGER }),
        JSON.stringify({ id: handle, userId: '../../admin', createdAt: 1, expiresAt: Number.MAX_SAFE_INTEGER }),
        'x'.repeat(300_000),
      ]) {
        await client.set(authKeys.session(handle), planted);
        assert.equal(await sessions.get(sessionId), undefined, planted.slice(0, 60));
      }
    });
  });
});
