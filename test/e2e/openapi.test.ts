/**
 * The API reference against the all-in-one process: every route Nest's router mapped (from its start-up log) is in
 * GET /api/openapi.json and nothing else is; real answers of real routes hold against their documented schemas
 * (checked with a JSON Schema check of our own, which a wrong body fails); what each operation's security says
 * agrees with what an anonymous caller and a viewer really get; GET /api/docs names every path and loads nothing.
 * Guards against: a reference that drifts from the router or from the answers, and one that lies about access.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { linkKeyFrom, signLink } from '@vigil/auth';
import { authKeys } from '@vigil/contracts';
import { DOCS_PAGE_CSP, escapeHtml } from '../../apps/publish/src/openapi/docs-page';
import { startRedisServer, startVigil, type OutputLine, type RedisServerHandle, type VigilHandle } from '../../scripts/support';
import { storedAlarmWithFiles } from '../support/alarm-fixtures';
import { resolveRef, schemaErrors } from '../support/json-schema';
import { waitFor } from '../support/wait';

type Json = Record<string, unknown>;
interface Operation {
  security: Record<string, string[]>[];
  'x-vigil-access': string;
  requestBody?: unknown;
  responses: Record<string, Json>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

const WHOLE_FRAME = { id: 'all', polygon: [[0, 0], [1, 0], [1, 1], [0, 1]] as [number, number][] };

describe('the API reference', { timeout: 180_000 }, () => {
  let redis: RedisServerHandle;
  let vigil: VigilHandle;
  let probe: Redis;
  let document: Document;
  let viewerToken: string;
  /** an alarm of `dock` written as the alarms service writes one, with a 4-byte clip: for the file routes */
  let fileAlarm: string;
  const lines: OutputLine[] = [];

  const anonymous = { authorization: '' };
  const url = (path: string) => `${vigil.url}${path}`;

  /** The schema an operation documents for `status` and `type`; fails when it documents none. */
  function documented(method: string, path: string, status: number, type = 'application/json'): unknown {
    const operation = document.paths[path]?.[method.toLowerCase()];
    assert.ok(operation, `${method} ${path} is documented`);
    let reply = operation.responses[String(status)];
    assert.ok(reply, `${method} ${path} documents ${status} (it documents ${Object.keys(operation.responses).join(', ')})`);
    if (typeof reply.$ref === 'string') reply = resolveRef(document, reply.$ref) as Json;
    const schema = (reply.content as Record<string, { schema?: unknown }> | undefined)?.[type]?.schema;
    assert.ok(schema, `${method} ${path} ${status} documents a ${type} body`);
    return schema;
  }

  /** The answer's status is `status`, and its JSON body holds against what the document says of that status. */
  async function holds(response: Response, method: string, path: string, status: number): Promise<Json> {
    const text = await response.text();
    assert.equal(response.status, status, `${method} ${path}: ${text.slice(0, 300)}`);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const body = JSON.parse(text) as Json;
    assert.deepEqual(schemaErrors(body, documented(method, path, status), document), [], `${method} ${path} ${status}: ${text.slice(0, 300)}`);
    return body;
  }

  before(async () => {
    redis = await startRedisServer();
    probe = new Redis(redis.url);
    const small = { width: 160, height: 120, fps: 5 };
    vigil = await startVigil({
      redisUrl: redis.url,
      env: { LOG_LEVEL: 'debug' },
      cameras: [
        // raises alarms the real way: the moving ball is motion inside the zone
        { id: 'yard', url: 'test://ball', ...small, detect: { detector: 'motion', minFrames: 2, zones: [WHOLE_FRAME], rules: [{ id: 'intrusion', kind: 'intrusion', classes: ['motion'], zone: 'all' }] } },
        { id: 'dock', url: 'test://smpte', ...small },
      ],
      onLine: (line) => lines.push(line),
    });
    const response = await fetch(url('/api/openapi.json'), { headers: anonymous });
    assert.equal(response.status, 200);
    document = (await response.json()) as Document;
    fileAlarm = await storedAlarmWithFiles(probe, vigil.alarmsDir, 'dock');
    const issued = await fetch(url('/api/tokens'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'wall screen', role: 'viewer' }) });
    viewerToken = ((await issued.json()) as { token: string }).token;
  });

  after(async () => {
    await probe?.quit();
    await vigil?.stop();
    await redis?.stop();
  });

  test('the document is public, OpenAPI 3.1, and the same on every request', async () => {
    assert.equal(document.openapi, '3.1.0');
    const again = await fetch(url('/api/openapi.json'), { headers: anonymous });
    assert.equal(again.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(await again.text(), JSON.stringify(document));
  });

  test('every route Nest mapped is in the document, and the document has no operation the router lacks', () => {
    const routes = lines.flatMap((line) => {
      const mapped = /Mapped \{(\S+), (\w+)\} route/.exec(line.text);
      return mapped ? [`${mapped[2]} ${mapped[1]!.replace(/:(\w+)/g, '{$1}')}`] : [];
    });
    assert.ok(routes.length >= 25, `routes read from the router log: ${routes.join(', ')}`);
    const operations = Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
    assert.deepEqual(routes.filter((route) => !operations.includes(route)), [], 'routes missing from the document');
    assert.deepEqual(operations.filter((operation) => !routes.includes(operation)), [], 'operations the router does not have');
    assert.equal(new Set(routes).size, routes.length);
  });

  test('real answers hold against their documented schemas', async () => {
    const cameras = await holds(await fetch(url('/api/cameras')), 'GET', '/api/cameras', 200);
    assert.equal((cameras as unknown as unknown[]).length, 2);
    await holds(await fetch(url('/api/cameras/yard')), 'GET', '/api/cameras/{id}', 200);
    await holds(await fetch(url('/api/cameras/yard'), { headers: { authorization: `Bearer ${viewerToken}` } }), 'GET', '/api/cameras/{id}', 200);
    // an alarm the alarms service made of a real violation, not a fixture
    const page = await waitFor('a yard alarm with its snapshot', async () => {
      const body = (await (await fetch(url('/api/alarms?camera=yard'))).json()) as { items: { id: string; snapshot: boolean }[] };
      return body.items.some((alarm) => alarm.snapshot) ? body : undefined;
    }, 60_000);
    await holds(await fetch(url('/api/alarms')), 'GET', '/api/alarms', 200);
    await holds(await fetch(url(`/api/alarms/${page.items[0]!.id}`)), 'GET', '/api/alarms/{id}', 200);
    await holds(await fetch(url(`/api/alarms/${fileAlarm}`)), 'GET', '/api/alarms/{id}', 200);
    const token = await holds(
      await fetch(url('/api/tokens'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'door panel', role: 'viewer', cameras: ['yard'], expiresAt: Date.now() + 3_600_000 }) }),
      'POST',
      '/api/tokens',
      201,
    );
    await holds(await fetch(url('/api/tokens')), 'GET', '/api/tokens', 200);
    await holds(await fetch(url('/api/auth/me')), 'GET', '/api/auth/me', 200);
    await holds(await fetch(url('/api/auth/me'), { headers: { authorization: `Bearer ${token.token as string}` } }), 'GET', '/api/auth/me', 200);
    await holds(await fetch(url('/api/users'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'olive', password: 'olive-password-1', role: 'viewer', cameras: ['yard'] }) }), 'POST', '/api/users', 201);
    await holds(await fetch(url('/api/users')), 'GET', '/api/users', 200);
    const login = await holds(await fetch(url('/api/auth/login'), { method: 'POST', headers: { ...anonymous, 'content-type': 'application/json' }, body: JSON.stringify({ username: 'olive', password: 'olive-password-1' }) }), 'POST', '/api/auth/login', 200);
    assert.equal(login.kind, 'session');
    await holds(await fetch(url('/api/audit?count=20')), 'GET', '/api/audit', 200);
    await holds(await fetch(url('/api/egress')), 'GET', '/api/egress', 200);
    await holds(await fetch(url('/livez'), { headers: anonymous }), 'GET', '/livez', 200);
    await holds(await fetch(url('/readyz'), { headers: anonymous }), 'GET', '/readyz', 200);
  });

  test('error answers hold against the documented error body', async () => {
    const json = { 'content-type': 'application/json' };
    await holds(await fetch(url('/api/cameras'), { method: 'POST', headers: json, body: '{}' }), 'POST', '/api/cameras', 400);
    await holds(await fetch(url('/api/cameras'), { method: 'POST', headers: json, body: '{"id": "x",' }), 'POST', '/api/cameras', 400);
    await holds(await fetch(url('/api/alarms?limit=0')), 'GET', '/api/alarms', 400);
    await holds(await fetch(url('/api/alarms/not-an-id')), 'GET', '/api/alarms/{id}', 400);
    const unauthorized = await fetch(url('/api/cameras'), { headers: anonymous });
    assert.equal(unauthorized.headers.get('www-authenticate'), 'Bearer realm="vigil"');
    await holds(unauthorized, 'GET', '/api/cameras', 401);
    await holds(await fetch(url('/api/tokens'), { headers: { authorization: `Bearer ${viewerToken}` } }), 'GET', '/api/tokens', 403);
    await holds(await fetch(url('/api/cameras/nope')), 'GET', '/api/cameras/{id}', 404);
    await holds(await fetch(url('/api/users/0123456789abcdef'), { method: 'PUT', headers: json, body: '{"role":"viewer"}' }), 'PUT', '/api/users/{id}', 404);
    await holds(await fetch(url('/api/cameras'), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'id=x' }), 'POST', '/api/cameras', 415);
    const logged = lines.length;
    await holds(await fetch(url('/api/cameras'), { method: 'POST', headers: json, body: JSON.stringify({ id: 'big', url: 'test://ball', name: 'x'.repeat(200_000) }) }), 'POST', '/api/cameras', 413);
    await holds(await fetch(url('/api/cameras'), { method: 'POST', headers: { 'content-type': 'application/json; charset=latin2' }, body: '{}' }), 'POST', '/api/cameras', 415);
    assert.deepEqual(lines.slice(logged).filter((line) => /ExceptionsHandler|^\s+at /.test(line.text)), [], 'a refused body is no stack trace in the log');
    await holds(await fetch(url('/api/users'), { method: 'POST', headers: json, body: JSON.stringify({ username: 'olive', password: 'olive-password-2', role: 'viewer' }) }), 'POST', '/api/users', 409);
    await holds(await fetch(url(`/api/alarms/${fileAlarm}/clip`), { headers: { range: 'bytes=100-200' } }), 'GET', '/api/alarms/{id}/clip', 416);
  });

  test('files are answered with the documented types, and a Range with 206', async () => {
    const clip = await fetch(url(`/api/alarms/${fileAlarm}/clip`));
    assert.equal(clip.status, 200);
    assert.ok(documented('GET', '/api/alarms/{id}/clip', 200, clip.headers.get('content-type')!.split(';')[0]));
    const part = await fetch(url(`/api/alarms/${fileAlarm}/clip`), { headers: { range: 'bytes=0-1' } });
    assert.equal(part.status, 206);
    assert.equal(await part.text(), 'cl');
    assert.ok(documented('GET', '/api/alarms/{id}/clip', 206, 'video/mp4'));
    const snapshot = await fetch(url(`/api/alarms/${fileAlarm}/snapshot`));
    assert.ok(documented('GET', '/api/alarms/{id}/snapshot', snapshot.status, snapshot.headers.get('content-type')!));
    const metrics = await fetch(url('/metrics'));
    assert.ok(documented('GET', '/metrics', metrics.status, metrics.headers.get('content-type')!.split(';')[0]));
  });

  test('the check of answers against the document fails on a wrong body', async () => {
    const [camera] = (await (await fetch(url('/api/cameras'))).json()) as Json[];
    const schema = documented('GET', '/api/cameras/{id}', 200);
    assert.deepEqual(schemaErrors(camera, schema, document), []);
    assert.notDeepEqual(schemaErrors({ ...camera, adminToken: 'leaked' }, schema, document), [], 'a field the document does not name');
    const { status: _status, ...withoutStatus } = camera!;
    assert.notDeepEqual(schemaErrors(withoutStatus, schema, document), [], 'a required field missing');
    assert.notDeepEqual(schemaErrors({ ...camera, jpegQuality: 101 }, schema, document), [], 'a number out of range');
    const page = (await (await fetch(url('/api/alarms'))).json()) as Json;
    assert.notDeepEqual(schemaErrors({ ...page, next: 3 }, documented('GET', '/api/alarms', 200), document), [], 'a wrong type');
    const error = { statusCode: 400, message: 'x' };
    assert.notDeepEqual(schemaErrors(error, documented('POST', '/api/cameras', 400), document), [], 'an error body without `error`');
  });

  test("each operation's security agrees with what an anonymous caller and a viewer get", async () => {
    const values: Record<string, string> = { '/api/cameras/{id}': 'yard', '/api/egress/{camera}': 'yard' };
    const concrete = (path: string) => (path.startsWith('/api/alarms/') ? path.replace('{id}', fileAlarm) : path.replace(/\{\w+\}/, values[path] ?? '0123456789abcdef'));
    const wrong: string[] = [];
    let checked = 0;
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const send = (authorization: string) =>
          fetch(url(concrete(path)), {
            method: method.toUpperCase(),
            headers: { authorization, ...(operation.requestBody ? { 'content-type': 'application/json' } : {}) },
            body: operation.requestBody ? '{}' : undefined,
          }).then((response) => response.status);
        const open = operation.security.length === 0;
        const asAnonymous = await send('');
        if (open !== (asAnonymous !== 401 && asAnonymous !== 403)) wrong.push(`${method} ${path}: security ${JSON.stringify(operation.security)}, anonymous got ${asAnonymous}`);
        const forViewers = open || operation.security.some((requirement) => Object.values(requirement).every((roles) => roles.length === 0) && ('bearer' in requirement || 'session' in requirement));
        const asViewer = await send(`Bearer ${viewerToken}`);
        if (forViewers !== (asViewer !== 401 && asViewer !== 403)) wrong.push(`${method} ${path}: security ${JSON.stringify(operation.security)}, a viewer got ${asViewer}`);
        if (forViewers !== (open || operation['x-vigil-access'] === 'viewer')) wrong.push(`${method} ${path}: x-vigil-access ${operation['x-vigil-access']} and security disagree`);
        checked += 1;
      }
    }
    assert.ok(checked >= 25);
    assert.deepEqual(wrong, []);
    // a requirement of a signed link: it opens the clip without an identity
    const path = `/api/alarms/${fileAlarm}/clip`;
    assert.ok(document.paths['/api/alarms/{id}/clip']!.get!.security.some((requirement) => 'linkSignature' in requirement && 'linkExpiry' in requirement));
    assert.equal((await fetch(url(`${path}?exp=1&sig=made-up`), { headers: anonymous })).status, 404); // makes the link secret
    const { exp, sig } = signLink(path, Date.now() + 60_000, linkKeyFrom((await probe.get(authKeys.linkSecret))!));
    assert.equal((await fetch(url(`${path}?exp=${exp}&sig=${sig}`), { headers: anonymous })).status, 200);
  });

  test('GET /api/docs is public, names every path, and loads nothing from anywhere', async () => {
    const response = await fetch(url('/api/docs'), { headers: anonymous });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(response.headers.get('content-security-policy'), DOCS_PAGE_CSP);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    const html = await response.text();
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of Object.keys(item)) assert.ok(html.includes(`>${method.toUpperCase()}</span><code>${escapeHtml(path)}</code>`), `${method} ${path}`);
    }
    assert.doesNotMatch(html, /<script|<link|<img|<iframe|src=|https?:\/\//i);
  });
});
