/**
 * Who may do what, against the all-in-one process: an access matrix generated from Nest's own router (every route
 * it mapped, from its start-up log) x every kind of caller, Socket.IO handshakes and scopes, revocation reaching an
 * open socket, and signed links. Guards against: every route open to anyone on the network, a scoped viewer
 * learning that other cameras exist, a revoked token that keeps its socket, a form post from another site.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { linkKeyFrom, signLink } from '@vigil/auth';
import { authKeys, type Ack } from '@vigil/contracts';
import { ensureUser, startRedisServer, startVigil, type OutputLine, type RedisServerHandle, type VigilHandle } from '../../scripts/support';
import { storedAlarmWithFiles } from '../support/alarm-fixtures';
import { io, type Socket } from '../support/io';
import { waitFor } from '../support/wait';

const METRICS_TOKEN = 'scraper-token-0123456789abcdef0123456789';
type Caller = 'anonymous' | 'scoped' | 'viewer' | 'admin' | 'revoked' | 'expired' | 'forged' | 'jwt';
const CALLERS: Caller[] = ['anonymous', 'scoped', 'viewer', 'admin', 'revoked', 'expired', 'forged', 'jwt'];

/** What each route answers: [anonymous, viewer scoped to `gate`, viewer, admin]; bad credentials get what anonymous gets. */
type Row = { path: string; body?: unknown; expect: [number, number, number, number] };

describe('access control', { timeout: 240_000 }, () => {
  let redis: RedisServerHandle;
  let vigil: VigilHandle;
  let probe: Redis;
  let jwks: Server;
  let signingKey: KeyLike;
  let otherKey: KeyLike;
  const lines: OutputLine[] = [];
  const tokens = {} as Record<Caller, string>;
  let dockAlarm: string;

  const jwt = (key: KeyLike, claims: Record<string, unknown>) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'site-key' }).setIssuer('https://idp.test').setAudience('vigil').setSubject('jwt-user').setExpirationTime('10m').sign(key);
  const call = (caller: Caller, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${vigil.url}${path}`, {
      method,
      headers: { authorization: tokens[caller] ? `Bearer ${tokens[caller]}` : '', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const newToken = async (body: Record<string, unknown>): Promise<{ id: string; token: string }> => {
    const response = await fetch(`${vigil.url}/api/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(response.status, 201, await response.clone().text());
    return (await response.json()) as { id: string; token: string };
  };

  before(async () => {
    const pair = await generateKeyPair('ES256');
    signingKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'site-key', alg: 'ES256', use: 'sig' };
    // the same key id, another key: what a forger without the provider's private key can make
    otherKey = (await generateKeyPair('ES256')).privateKey;
    jwks = createServer((_, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    redis = await startRedisServer();
    probe = new Redis(redis.url);
    vigil = await startVigil({
      redisUrl: redis.url,
      env: {
        LOG_LEVEL: 'debug',
        AUTH_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`,
        AUTH_JWT_ISSUER: 'https://idp.test',
        AUTH_JWT_AUDIENCE: 'vigil',
        METRICS_TOKEN: METRICS_TOKEN,
      },
      cameras: [
        { id: 'gate', url: 'test://ball', width: 160, height: 120, fps: 5 },
        { id: 'dock', url: 'test://smpte', width: 160, height: 120, fps: 5 },
      ],
      onLine: (line) => lines.push(line),
    });
    tokens.admin = vigil.adminToken;
    tokens.scoped = (await newToken({ name: 'gate screen', role: 'viewer', cameras: ['ga*'] })).token;
    tokens.viewer = (await newToken({ name: 'control room', role: 'viewer' })).token;
    const revoked = await newToken({ name: 'old laptop', role: 'admin' });
    assert.equal((await fetch(`${vigil.url}/api/tokens/${revoked.id}`, { method: 'DELETE' })).status, 204);
    tokens.revoked = revoked.token;
    tokens.expired = (await newToken({ name: 'contractor', role: 'admin', expiresAt: Date.now() + 1500 })).token;
    tokens.forged = await jwt(otherKey, { vigil_role: 'admin' });
    tokens.jwt = await jwt(signingKey, { vigil_role: 'viewer', vigil_cameras: ['gate'] });
    // an alarm of the dock with its files, which only callers who may see the dock may read
    dockAlarm = await storedAlarmWithFiles(probe, vigil.alarmsDir, 'dock');
    await waitFor('the expired token to expire', async () => (await call('expired', 'GET', '/api/auth/me')).status === 401, 10_000);
  });

  after(async () => {
    await probe?.quit();
    await vigil?.stop();
    await redis?.stop();
    await new Promise((resolve) => jwks?.close(resolve));
  });

  test('the matrix: every route Nest mapped x every caller; a route without an entry fails', async () => {
    const routes = lines.flatMap((line) => {
      const mapped = /Mapped \{(\S+), (\w+)\} route/.exec(line.text);
      return mapped ? [`${mapped[2]} ${mapped[1]}`] : [];
    });
    assert.ok(routes.length >= 20, `routes read from the router log: ${routes.join(', ')}`);
    const admin: Row['expect'] = [401, 403, 403, 200];
    const viewer: Row['expect'] = [401, 200, 200, 200];
    const scopedOut: Row['expect'] = [401, 404, 200, 200];
    const open: Row['expect'] = [200, 200, 200, 200];
    const matrix: Record<string, Row> = {
      'GET /livez': { path: '/livez', expect: open },
      'GET /readyz': { path: '/readyz', expect: open },
      'GET /healthz': { path: '/healthz', expect: open },
      'GET /metrics': { path: '/metrics', expect: admin },
      'GET /api/cameras': { path: '/api/cameras', expect: viewer },
      'GET /api/cameras/:id': { path: '/api/cameras/dock', expect: scopedOut },
      'POST /api/cameras': { path: '/api/cameras', body: {}, expect: [401, 403, 403, 400] },
      'PUT /api/cameras/:id': { path: '/api/cameras/dock', body: {}, expect: [401, 403, 403, 400] },
      'DELETE /api/cameras/:id': { path: '/api/cameras/nope', expect: [401, 403, 403, 404] },
      'POST /api/stitch': { path: '/api/stitch', body: {}, expect: [401, 403, 403, 400] },
      'DELETE /api/stitch/:id': { path: '/api/stitch/nope', expect: [401, 403, 403, 404] },
      'POST /api/stitch/:id/calibrate': { path: '/api/stitch/nope/calibrate', expect: [401, 403, 403, 404] },
      'GET /api/alarms': { path: '/api/alarms', expect: viewer },
      'GET /api/alarms/:id': { path: `/api/alarms/${dockAlarm}`, expect: scopedOut },
      'GET /api/alarms/:id/clip': { path: `/api/alarms/${dockAlarm}/clip`, expect: scopedOut },
      'GET /api/alarms/:id/snapshot': { path: `/api/alarms/${dockAlarm}/snapshot`, expect: scopedOut },
      'GET /api/egress': { path: '/api/egress', expect: admin },
      'GET /api/egress/:camera': { path: '/api/egress/dock', expect: [401, 403, 403, 404] },
      'POST /api/auth/login': { path: '/api/auth/login', body: {}, expect: [400, 400, 400, 400] },
      'POST /api/auth/logout': { path: '/api/auth/logout', expect: [204, 204, 204, 204] },
      'GET /api/auth/me': { path: '/api/auth/me', expect: viewer },
      'POST /api/tokens': { path: '/api/tokens', body: {}, expect: [401, 403, 403, 400] },
      'GET /api/tokens': { path: '/api/tokens', expect: admin },
      'DELETE /api/tokens/:id': { path: '/api/tokens/0123456789abcdef', expect: [401, 403, 403, 404] },
      'POST /api/users': { path: '/api/users', body: {}, expect: [401, 403, 403, 400] },
      'GET /api/users': { path: '/api/users', expect: admin },
      'PUT /api/users/:id': { path: '/api/users/0123456789abcdef', body: { role: 'viewer' }, expect: [401, 403, 403, 404] },
      'DELETE /api/users/:id': { path: '/api/users/0123456789abcdef', expect: [401, 403, 403, 404] },
      'GET /api/audit': { path: '/api/audit', expect: admin },
      'GET /api/openapi.json': { path: '/api/openapi.json', expect: open },
      'GET /api/docs': { path: '/api/docs', expect: open },
    };
    const missing = routes.filter((route) => !(route in matrix));
    assert.deepEqual(missing, [], 'every route the router mapped has an entry in the matrix');
    const wrong: string[] = [];
    let tried = 0;
    for (const route of routes) {
      const row = matrix[route]!;
      const method = route.split(' ')[0]!;
      for (const caller of CALLERS) {
        const [anonymous, scoped, viewerStatus, adminStatus] = row.expect;
        const wanted = { anonymous, scoped, viewer: viewerStatus, admin: adminStatus, revoked: anonymous, expired: anonymous, forged: anonymous, jwt: scoped }[caller];
        const status = (await call(caller, method, row.path, row.body)).status;
        tried += 1;
        if (status !== wanted) wrong.push(`${route} as ${caller}: ${status}, wanted ${wanted}`);
      }
    }
    console.log(`access matrix: ${routes.length} routes x ${CALLERS.length} callers = ${tried} requests`);
    assert.deepEqual(wrong, []);
  });

  test('a scoped viewer never learns that other cameras exist', async () => {
    const cameras = (await (await call('scoped', 'GET', '/api/cameras')).json()) as { id: string }[];
    assert.deepEqual(cameras.map((camera) => camera.id), ['gate']);
    const alarms = (await (await call('scoped', 'GET', '/api/alarms')).json()) as { items: { camera: string }[] };
    assert.deepEqual(alarms.items.filter((alarm) => alarm.camera !== 'gate'), []);
    assert.equal((await call('scoped', 'GET', '/api/alarms?camera=dock')).status, 200);
    assert.deepEqual(((await (await call('scoped', 'GET', '/api/alarms?camera=dock')).json()) as { items: unknown[] }).items, []);
    const unknown = await (await call('scoped', 'GET', '/api/cameras/dock')).text();
    const never = await (await call('scoped', 'GET', '/api/cameras/never-was')).text();
    assert.equal(unknown.replace('dock', 'X'), never.replace('never-was', 'X'), 'an out-of-scope camera answers like one that does not exist');
  });

  test('a viewer sees a generic reason, an admin the full one', async () => {
    await fetch(`${vigil.url}/api/cameras`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'dead', url: 'rtsp://127.0.0.1:9/x', codec: 'h264' }) });
    const reason = async (caller: Caller) => ((await (await call(caller, 'GET', '/api/cameras/dead')).json()) as { status?: { reason?: string } }).status?.reason;
    // in a shared capture process it first stalls ("sends no frames"); alone in its own, it fails to connect
    await waitFor('the dead camera failing to connect', async () => (await reason('viewer')) === 'cannot connect to the camera', 40_000);
    assert.notEqual(await reason('admin'), 'cannot connect to the camera');
    assert.equal(await reason('viewer'), 'cannot connect to the camera');
  });

  test('METRICS_TOKEN opens /metrics and nothing else', async () => {
    const scraper = { authorization: `Bearer ${METRICS_TOKEN}` };
    const metrics = await fetch(`${vigil.url}/metrics`, { headers: scraper });
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /vigil_ingest_frames_total/);
    assert.equal((await fetch(`${vigil.url}/api/cameras`, { headers: scraper })).status, 401);
    assert.equal((await fetch(`${vigil.url}/api/auth/me`, { headers: scraper })).status, 401);
  });

  test('the audit log has every write, who made it and from where, with secrets masked', async () => {
    const body = { id: 'audited', url: 'rtsp://admin:hunter2-secret@127.0.0.1:9/x?token=abc123secret', codec: 'h264' };
    assert.equal((await fetch(`${vigil.url}/api/cameras`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status, 201);
    assert.equal((await fetch(`${vigil.url}/api/cameras/audited`, { method: 'DELETE' })).status, 204);
    const { items } = (await (await fetch(`${vigil.url}/api/audit?count=100`)).json()) as { items: { action: string; target?: string; address: string; actor: { kind: string }; detail?: unknown }[] };
    const created = items.find((entry) => entry.action === 'camera.create' && entry.target === 'audited');
    assert.ok(created, 'the create is recorded');
    assert.deepEqual([created.actor.kind, created.address], ['bootstrap', '127.0.0.1']);
    assert.ok(items.some((entry) => entry.action === 'camera.delete' && entry.target === 'audited'));
    assert.ok(items.some((entry) => entry.action === 'token.create') && items.some((entry) => entry.action === 'token.revoke'));
    const text = JSON.stringify(items);
    assert.ok(!text.includes('hunter2-secret') && !text.includes('abc123secret'), `no secret in the audit log: ${text.slice(0, 300)}`);
    assert.ok(!text.includes('vgl_'), 'no token text');
  });

  test('writes take JSON only, and a session cookie writes only from the page itself', async () => {
    const account = { username: 'carol', password: 'carol-password-1', role: 'admin' as const };
    await ensureUser(vigil.url, vigil.adminToken, account);
    const login = await call('anonymous', 'POST', '/api/auth/login', { username: account.username, password: account.password });
    assert.equal(login.status, 200);
    const setCookie = login.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^vigil_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict$/);
    const cookie = setCookie.split(';')[0]!;
    const write = (origin?: string, type = 'application/json') =>
      fetch(`${vigil.url}/api/cameras`, { method: 'POST', headers: { authorization: '', cookie, 'content-type': type, ...(origin ? { origin } : {}) }, body: '{}' });
    assert.equal((await write(vigil.url)).status, 400, 'the page itself: the body is checked');
    assert.equal((await write('https://evil.example')).status, 403);
    assert.equal((await write()).status, 403, 'a write with a cookie and no Origin');
    assert.equal((await write(vigil.url, 'application/x-www-form-urlencoded')).status, 415);
    assert.equal((await write(vigil.url, 'text/plain')).status, 415);
    const me = await fetch(`${vigil.url}/api/auth/me`, { headers: { authorization: '', cookie } });
    assert.equal(((await me.json()) as { name: string }).name, 'carol');
    assert.equal((await fetch(`${vigil.url}/api/auth/logout`, { method: 'POST', headers: { authorization: '', cookie } })).status, 204);
    assert.equal((await fetch(`${vigil.url}/api/auth/me`, { headers: { authorization: '', cookie } })).status, 401, 'the session ended');
  });

  test('logins are limited per user name, and a wrong name answers like a wrong password', async () => {
    const account = { username: 'dave', password: 'dave-password-1', role: 'viewer' as const };
    await ensureUser(vigil.url, vigil.adminToken, account);
    const login = (username: string, password: string) => call('anonymous', 'POST', '/api/auth/login', { username, password });
    const noUser = await (await login('nobody-here', 'whatever-1')).json();
    const badPassword = await (await login('dave', 'wrong-password')).json();
    assert.deepEqual(noUser, badPassword);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await login('dave', `wrong-${i}`)).status);
    assert.ok(statuses.includes(429), `past the limit: ${statuses.join(',')}`);
    const limited = await login('dave', account.password);
    assert.equal(limited.status, 429, 'the right password is refused too while limited');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    const audit = (await (await fetch(`${vigil.url}/api/audit?count=50`)).json()) as { items: { action: string; target?: string }[] };
    assert.ok(audit.items.some((entry) => entry.action === 'login.fail' && entry.target === 'dave'));
    assert.ok(!JSON.stringify(audit).includes('wrong-password'), 'no password in the audit log');
  });

  test('Socket.IO: no credentials, a bad token or a foreign Origin is refused, saying why', async () => {
    const refusal = (options: Parameters<typeof io>[1]) =>
      new Promise<string>((resolve, reject) => {
        const socket = io(vigil.url, { transports: ['websocket'], reconnection: false, ...options });
        socket.once('connect', () => {
          socket.close();
          reject(new Error('connected'));
        });
        socket.once('connect_error', (error) => {
          socket.close();
          resolve(error.message);
        });
      });
    assert.match(await refusal({ auth: {} }), /^unauthorized: sign in/);
    assert.match(await refusal({ auth: { token: tokens.revoked } }), /^unauthorized: the token is revoked/);
    assert.match(await refusal({ auth: { token: tokens.forged } }), /^unauthorized: the JWT is not valid/);
    // past the 8 KiB a credential may have, under the socket message limit (past that the connection just closes)
    assert.match(await refusal({ auth: { token: 'x'.repeat(10_000) } }), /^unauthorized: the token is not one vigil issued/);
    assert.match(await refusal({ extraHeaders: { origin: 'https://evil.example' } }), /^forbidden: the origin https:\/\/evil\.example/);
  });

  test('Socket.IO: a scoped viewer subscribes to its camera only; revoking its token disconnects it', async () => {
    const { id, token } = await newToken({ name: 'kiosk', role: 'viewer', cameras: ['gate'] });
    const socket: Socket = io(vigil.url, { transports: ['websocket'], reconnection: false, auth: { token } });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('connect_error', reject));
    const ask = (camera: string): Promise<Ack> => socket.timeout(10_000).emitWithAck('subscribe', { camera } as never);
    assert.deepEqual(await ask('dock'), { ok: false, error: 'unknown camera "dock"' });
    assert.deepEqual(await ask('gate'), { ok: true });
    const gone = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    assert.equal((await fetch(`${vigil.url}/api/tokens/${id}`, { method: 'DELETE' })).status, 204);
    assert.equal(await gone, 'io server disconnect');
  });

  test('Socket.IO: a session cookie works, and signing out disconnects it', async () => {
    const account = { username: 'erin', password: 'erin-password-1', role: 'viewer' as const };
    await ensureUser(vigil.url, vigil.adminToken, account);
    const login = await call('anonymous', 'POST', '/api/auth/login', { username: account.username, password: account.password });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const socket = io(vigil.url, { transports: ['websocket'], reconnection: false, auth: {}, extraHeaders: { cookie, origin: vigil.url } });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('connect_error', reject));
    const gone = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    assert.equal((await fetch(`${vigil.url}/api/auth/logout`, { method: 'POST', headers: { authorization: '', cookie } })).status, 204);
    assert.equal(await gone, 'io server disconnect');
  });

  test('signed links open a clip without an account; tampered, expired or moved ones are 404', async () => {
    const path = `/api/alarms/${dockAlarm}/clip`;
    const get = (target: string) => fetch(`${vigil.url}${target}`, { headers: { authorization: '' } });
    // a made-up link is nothing there; checking it makes the deployment's link secret if no webhook has yet
    assert.equal((await get(`${path}?exp=1&sig=made-up`)).status, 404);
    const key = linkKeyFrom((await probe.get(authKeys.linkSecret))!);
    const { exp, sig } = signLink(path, Date.now() + 60_000, key);
    assert.equal((await get(`${path}?exp=${exp}&sig=${sig}`)).status, 200);
    assert.equal((await get(`${path}?exp=${Number(exp) + 1}&sig=${sig}`)).status, 404, 'expiry changed');
    assert.equal((await get(`${path}?exp=${exp}&sig=${sig.slice(0, -2)}`)).status, 404, 'signature cut');
    assert.equal((await get(`/api/alarms/${dockAlarm}/snapshot?exp=${exp}&sig=${sig}`)).status, 404, 'signed for the clip, used for the snapshot');
    const old = signLink(path, Date.now() - 1000, key);
    assert.equal((await get(`${path}?exp=${old.exp}&sig=${old.sig}`)).status, 404, 'expired');
    assert.equal((await get(path)).status, 401, 'no link, no account');
  });
});
