/**
 * Login limits, the audit log and the revocation channel against a real redis-server. Guards against: a burst of
 * parallel guesses all passing the limit check before the first failure is counted; a planted counter that locks a
 * name forever; an audit stream that grows without end; a replica that misses revocations after a reconnect.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import Redis from 'ioredis';
import { sha256Text, type Revocation } from '@vigil/auth';
import { authKeys, channels } from '@vigil/contracts';
import { AuditLog, LoginLimiter, Revocations } from '@vigil/redis';
import { startRedisServer, type RedisServerHandle } from '../../scripts/support';
import { keptWarnings } from '../support/auth-fixtures';
import { waitFor } from '../support/wait';

const WINDOW_MS = 400;

describe('login limits, audit log and revocations against a real redis-server', { timeout: 60_000 }, () => {
  let redis: RedisServerHandle;
  let client: Redis;

  before(async () => {
    redis = await startRedisServer();
    client = new Redis(redis.url);
  });

  beforeEach(async () => {
    await client.flushall();
  });

  after(async () => {
    await client?.quit();
    await redis?.stop();
  });

  describe('LoginLimiter', () => {
    const limiter = (): LoginLimiter => new LoginLimiter(client, { perUser: { max: 3, windowMs: WINDOW_MS }, perAddress: { max: 6, windowMs: 60_000 } });

    test('a name gets max attempts per window, then a wait no longer than the window; after it, attempts again', async () => {
      const limits = limiter();
      const who = { username: 'alice', address: '203.0.113.7' };
      for (let i = 0; i < 3; i++) assert.deepEqual(await limits.attempt(who), { allowed: true, retryAfterMs: 0 });
      const refused = await limits.attempt({ ...who, username: 'ALICE' });
      assert.equal(refused.allowed, false, 'case does not make another name');
      assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= WINDOW_MS, `retryAfterMs ${refused.retryAfterMs}`);
      assert.ok((await limits.attempt({ ...who, username: 'bob' })).allowed, 'other names are not held up');
      // polling is free: a refused attempt counts nothing
      await waitFor('the window to end', async () => (await limits.attempt(who)).allowed, 10_000, 50);
    });

    test('a successful login (reset) forgets the name\'s attempts; the address keeps counting', async () => {
      const limits = limiter();
      const who = { username: 'carol', address: '198.51.100.1' };
      for (let i = 0; i < 3; i++) await limits.attempt(who);
      await limits.reset('Carol');
      for (let i = 0; i < 3; i++) assert.ok((await limits.attempt(who)).allowed, `attempt ${i} after the reset`);
      assert.equal((await limits.attempt({ username: 'dave', address: who.address })).allowed, false, 'the address has had its 6');
    });

    test('an address is limited across names, and an IPv6 address by its /64', async () => {
      const limits = limiter();
      for (let i = 0; i < 6; i++) assert.ok((await limits.attempt({ username: `user${i}`, address: `2001:db8:1:2::${i + 1}` })).allowed);
      const refused = await limits.attempt({ username: 'user9', address: '2001:db8:1:2:ffff::9' });
      assert.equal(refused.allowed, false);
      assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 60_000);
      assert.ok((await limits.attempt({ username: 'user9', address: '2001:db8:1:3::1' })).allowed, 'the next /64 is another address');
    });

    test('a burst of parallel guesses gets exactly max through', async () => {
      const limits = limiter();
      const decisions = await Promise.all(Array.from({ length: 25 }, () => limits.attempt({ username: 'erin', address: '192.0.2.1' })));
      assert.equal(decisions.filter((d) => d.allowed).length, 3);
    });

    test('planted counters neither lock a name forever nor break the limiter', async () => {
      const limits = limiter();
      const key = (name: string): string => authKeys.loginAttempts('user', sha256Text(name));
      await client.set(key('frank'), '999'); // full, without an expiry
      await client.set(key('grace'), 'lots');
      await client.hset(key('heidi'), 'count', '1');
      const frank = await limits.attempt({ username: 'frank', address: '192.0.2.2' });
      assert.equal(frank.allowed, false);
      assert.ok(frank.retryAfterMs > 0 && frank.retryAfterMs <= WINDOW_MS, 'the full counter was given an end');
      assert.ok((await limits.attempt({ username: 'grace', address: '192.0.2.3' })).allowed);
      assert.ok((await limits.attempt({ username: 'heidi', address: '192.0.2.4' })).allowed);
      await waitFor("frank's window to end", async () => (await limits.attempt({ username: 'frank', address: '192.0.2.2' })).allowed, 10_000, 50);
    });

    test('any login name text names a short key: a 1 MB name, unicode, control characters', async () => {
      const limits = limiter();
      for (const username of ['x'.repeat(1 << 20), 'ad\u0000min', '\u0430dmin', '*', '{hash}']) assert.ok((await limits.attempt({ username, address: 'not an address' })).allowed);
      for (const key of await client.keys('*')) assert.ok(key.length < 120, key.slice(0, 80));
    });
  });

  describe('AuditLog', () => {
    const actor = { kind: 'session' as const, id: '0123456789abcdef', name: 'alice' };

    test('entries read back newest first, in pages, with secrets masked and text made safe', async () => {
      const audit = new AuditLog(client);
      for (let i = 0; i < 5; i++) await audit.record({ at: 1000 + i, actor, address: '203.0.113.7', action: 'camera.update', target: `cam${i}` });
      await audit.record({
        at: 2000,
        actor: { kind: 'anonymous', id: 'anonymous', name: 'mallory\r\nadmin logged in' },
        address: '198.51.100.1',
        action: 'login.fail',
        target: 'mallory\r\nadmin logged in',
        detail: { password: 'hunter22', url: 'rtsp://u:hunter22@cam/1' },
      });
      const first = await audit.list({ count: 4 });
      assert.deepEqual(first.items.map((e) => e.at), [2000, 1004, 1003, 1002]);
      const failed = first.items[0]!;
      assert.equal(failed.target, 'mallory\uFFFD\uFFFDadmin logged in');
      assert.equal(failed.actor.name, 'mallory\uFFFD\uFFFDadmin logged in');
      assert.ok(!JSON.stringify(failed).includes('hunter22'));
      const second = await audit.list({ count: 4, before: first.next! });
      assert.deepEqual(second.items.map((e) => e.at), [1001, 1000]);
      assert.equal(second.next, null);
    });

    test('planted entries are skipped and logged once, and paging goes on past them', async () => {
      const warnings = keptWarnings();
      const audit = new AuditLog(client, { logger: warnings });
      await audit.record({ at: 1, actor, address: '', action: 'token.create', target: 'old' });
      const planted = [
        await client.xadd(authKeys.audit, '*', 'entry', '{"at": 2, '),
        await client.xadd(authKeys.audit, '*', 'entry', JSON.stringify({ at: 3, actor: { ...actor, kind: 'root' }, address: '', action: 'token.create' })),
        await client.xadd(authKeys.audit, '*', 'other', 'field'),
        await client.xadd(authKeys.audit, '*', 'entry', JSON.stringify({ at: 4, actor, address: '<script>', action: 'token.create' })),
      ];
      await audit.record({ at: 5, actor, address: '', action: 'token.revoke', target: 'new' });
      for (let pass = 0; pass < 2; pass++) {
        const page = await audit.list({ count: 3 });
        assert.deepEqual(page.items.map((e) => e.target), ['new']);
        assert.deepEqual((await audit.list({ count: 3, before: page.next! })).items.map((e) => e.target), ['old']);
      }
      for (const id of planted as string[]) assert.equal(warnings.lines.filter((line) => line.startsWith(`audit entry "${id}" in Redis is ignored`)).length, 1, id);
    });

    test('the stream is capped near maxEntries', async () => {
      const audit = new AuditLog(client, { maxEntries: 200 });
      for (let i = 0; i < 1000; i++) await audit.record({ at: i, actor, address: '', action: 'camera.update' });
      const length = await client.xlen(authKeys.audit);
      // MAXLEN ~ trims whole nodes, of up to 100 entries each (stream-node-max-entries)
      assert.ok(length >= 200 && length <= 300, `length ${length}`);
      assert.equal((await audit.list({ count: 1 })).items[0]!.at, 999, 'the newest are the ones kept');
    });

    test('a malformed page request is refused', async () => {
      const audit = new AuditLog(client);
      await assert.rejects(audit.list({ count: 0 }), RangeError);
      await assert.rejects(audit.list({ count: 1001 }), RangeError);
      await assert.rejects(audit.list({ before: '+' }), RangeError);
      await assert.rejects(audit.list({ before: '1-0 COUNT 99999' }), RangeError);
    });
  });

  describe('Revocations', () => {
    test('a second connection hears valid revocations; malformed messages are dropped and logged', async () => {
      const warnings = keptWarnings();
      const listener = new Redis(redis.url);
      const heard: Revocation[] = [];
      const subscription = await new Revocations(listener, warnings).subscribe(listener, (r) => heard.push(r));
      try {
        for (const junk of ['not json', JSON.stringify({ kind: 'all' }), JSON.stringify({ kind: 'token', id: '*' }), 'x'.repeat(10_000)]) await client.publish(channels.authRevocations, junk);
        await new Revocations(client).publish({ kind: 'token', id: '0123456789abcdef' });
        await waitFor('the revocation', () => heard.length > 0);
        assert.deepEqual(heard, [{ kind: 'token', id: '0123456789abcdef' }], 'the junk before it was dropped');
        assert.ok(warnings.lines.length >= 3, warnings.lines.join('\n'));
        await assert.rejects(new Revocations(client).publish({ kind: 'token', id: 'bad' } as Revocation));
      } finally {
        await subscription.stop();
        await listener.quit();
      }
    });

    test('after Redis drops the subscriber, onReconnected is called once it listens again, and revocations arrive again', async () => {
      const listener = new Redis(redis.url);
      const heard: Revocation[] = [];
      let reconnected = 0;
      const subscription = await new Revocations(listener).subscribe(listener, (r) => heard.push(r), () => (reconnected += 1));
      try {
        await client.client('KILL', 'TYPE', 'pubsub');
        await waitFor('onReconnected', () => reconnected > 0);
        await new Revocations(client).publish({ kind: 'user', id: 'fedcba9876543210' });
        await waitFor('the revocation after the reconnect', () => heard.length > 0);
        assert.deepEqual(heard, [{ kind: 'user', id: 'fedcba9876543210' }]);
      } finally {
        await subscription.stop();
        await listener.quit();
      }
    });
  });
});
