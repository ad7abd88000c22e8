/**
 * The OpenAPI document and the reference page, made from the controllers themselves: a valid-looking 3.1 document
 * (every $ref resolves, every path parameter declared), security taken from each route's @Access, a route without
 * an entry or without a rule refused, the same document every time, and a page that no string in the document can
 * break out of. Guards against: a reference that drifts from the router, and a docs page that runs a script.
 */
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Controller, Get, Post, type Type } from '@nestjs/common';
import { Access } from '@vigil/auth';
import { cameraViewSchema } from '@vigil/contracts';
import { EgressController } from '../../apps/egress/src/egress.controller';
import { AuditController } from '../../apps/publish/src/access/audit.controller';
import { AuthController } from '../../apps/publish/src/access/auth.controller';
import { TokensController } from '../../apps/publish/src/access/tokens.controller';
import { UsersController } from '../../apps/publish/src/access/users.controller';
import { AlarmsController } from '../../apps/publish/src/alarms/alarms.controller';
import { CamerasController } from '../../apps/publish/src/cameras/cameras.controller';
import { ApiReferenceController } from '../../apps/publish/src/openapi/api-reference.controller';
import { StitchController } from '../../apps/publish/src/stitch/stitch.controller';
import { StitchCalibrateController } from '../../apps/stitch/src/stitch-calibrate.controller';
import { DOCS_PAGE_CSP, escapeHtml, renderDocsPage, type DocumentLike } from '../../apps/publish/src/openapi/docs-page';
import { openApiDocument, type OpenApiDocument } from '../../apps/publish/src/openapi/openapi-document';
import { NAMED_SCHEMAS, routeDocs } from '../../apps/publish/src/openapi/route-docs';
import { joinPath, servedRoutes } from '../../apps/publish/src/openapi/served-routes';
import { RegistryChangedController } from '../../libs/kernel/src/follower/registry-changed.controller';
import { HealthController } from '../../libs/platform/src/health.controller';
import { MetricsController } from '../../libs/metrics/src/metrics.controller';
import { resolveRef, schemaErrors } from '../support/json-schema';

const PUBLISH: Type[] = [CamerasController, StitchController, AlarmsController, AuthController, TokensController, UsersController, AuditController, ApiReferenceController, HealthController, MetricsController];
/** every app's controllers, as the all-in-one process has them (message handlers included: they are no routes) */
const ALL: Type[] = [...PUBLISH, EgressController, RegistryChangedController, StitchCalibrateController];

const build = (controllers: Type[] = ALL): OpenApiDocument => openApiDocument(servedRoutes(controllers), '1.2.3');
type Operation = { operationId: string; security: Record<string, string[]>[]; parameters?: { name: string; in: string; required?: boolean }[]; 'x-vigil-access': string; requestBody?: unknown; responses: Record<string, unknown> };
const operations = (document: OpenApiDocument): [string, Operation][] =>
  Object.entries(document.paths ?? {}).flatMap(([path, item]) => Object.entries(item as Record<string, Operation>).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op] as [string, Operation]));
const operation = (document: OpenApiDocument, key: string): Operation => {
  const found = operations(document).find(([name]) => name === key);
  assert.ok(found, `${key} is in the document`);
  return found[1];
};

describe('the OpenAPI document', () => {
  const document = build();

  test('is OpenAPI 3.1.0, and every $ref in it resolves', () => {
    assert.equal(document.openapi, '3.1.0');
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (typeof node === 'object' && node !== null) {
        for (const [key, value] of Object.entries(node)) {
          if (key === '$ref' && typeof value === 'string') refs.push(value);
          else walk(value);
        }
      }
    };
    walk(document);
    assert.ok(refs.length > 50, `refs found: ${refs.length}`);
    for (const ref of new Set(refs)) assert.doesNotThrow(() => resolveRef(document, ref), ref);
    assert.throws(() => resolveRef(document, '#/components/schemas/Nope'), /leads nowhere/, 'the resolver itself refuses a dangling $ref');
  });

  test('every route of every app is there once, with its path parameters declared, and operation ids are unique', () => {
    const routes = servedRoutes(ALL).map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`);
    assert.deepEqual(operations(document).map(([key]) => key).sort(), [...routes].sort());
    for (const [key, op] of operations(document)) {
      const inPath = [...key.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path');
      assert.deepEqual(declared.map((p) => p.name).sort(), inPath, key);
      assert.ok(declared.every((p) => p.required === true), `${key}: path parameters are required`);
    }
    const ids = operations(document).map(([, op]) => op.operationId);
    assert.equal(new Set(ids).size, ids.length);
  });

  test('the route table has no entry that no controller serves', () => {
    const served = new Set(servedRoutes(ALL).map((route) => route.key));
    assert.deepEqual(Object.keys(routeDocs(NAMED_SCHEMAS)).filter((key) => !served.has(key)), []);
  });

  test("each operation's security follows its route's @Access rule", () => {
    assert.deepEqual(operation(document, 'GET /livez').security, []);
    assert.deepEqual(operation(document, 'POST /api/auth/login').security, []);
    assert.deepEqual(operation(document, 'GET /api/cameras').security, [{ bearer: [] }, { session: [] }]);
    assert.deepEqual(operation(document, 'DELETE /api/tokens/{id}').security, [{ bearer: ['admin'] }, { session: ['admin'] }]);
    assert.deepEqual(operation(document, 'GET /metrics').security, [{ metricsToken: [] }, { bearer: ['admin'] }, { session: ['admin'] }]);
    assert.deepEqual(operation(document, 'GET /api/alarms/{id}/clip').security, [{ bearer: [] }, { session: [] }, { linkExpiry: [], linkSignature: [] }]);
    for (const [key, op] of operations(document)) {
      const rule = servedRoutes(ALL).find((route) => `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}` === key)!.rule!;
      assert.equal(op['x-vigil-access'], rule.level, key);
      assert.equal(op.security.length === 0, rule.level === 'public', `${key}: no requirement exactly when public`);
      assert.equal('401' in op.responses, rule.level !== 'public' || key === 'POST /api/auth/login', `${key}: a 401 is documented where one can come`);
    }
    for (const scheme of new Set(operations(document).flatMap(([, op]) => op.security.flatMap((requirement) => Object.keys(requirement))))) {
      assert.ok(document.components?.securitySchemes?.[scheme], `security scheme ${scheme} is defined`);
    }
  });

  test('the access comes from the decorators, not the table: a route opened in code is open in the document', () => {
    @Controller('api/audit')
    @Access('public')
    class OpenAudit {
      @Get()
      list(): void {}
    }
    const opened = build([...ALL.filter((controller) => controller !== AuditController), OpenAudit]);
    assert.deepEqual(operation(opened, 'GET /api/audit').security, []);
    assert.equal(operation(opened, 'GET /api/audit')['x-vigil-access'], 'public');
  });

  test('a route without an entry, or without an access rule, stops the document (and so the start)', () => {
    @Controller('api/send')
    @Access('admin')
    class NewRoute {
      @Post()
      create(): void {}
    }
    assert.throws(() => build([...ALL, NewRoute]), /routes without an entry in the API reference .*: POST \/api\/send \(NewRoute\.create\)/);
    @Controller('api/audit')
    class NoRule {
      @Get()
      list(): void {}
    }
    assert.throws(() => build([...ALL.filter((controller) => controller !== AuditController), NoRule]), /GET \/api\/audit \(NoRule\.list\) declares no access rule/);
  });

  test('a process describes what it serves: publish alone has no egress routes', () => {
    const publish = build(PUBLISH);
    assert.ok(operations(publish).length > 20);
    assert.deepEqual(operations(publish).filter(([key]) => key.includes('/api/egress')), []);
  });

  test('the same controllers make the same document, byte for byte', () => {
    assert.equal(JSON.stringify(build()), JSON.stringify(document));
  });

  test('request bodies and answers are the named schemas the handlers use', () => {
    const body = (key: string) => (operation(document, key).requestBody as { content: Record<string, { schema: unknown }> }).content['application/json']!.schema;
    assert.deepEqual(body('POST /api/cameras'), { $ref: '#/components/schemas/CameraConfig' });
    assert.deepEqual(body('POST /api/tokens'), { $ref: '#/components/schemas/TokenInput' });
    assert.deepEqual(body('PUT /api/users/{id}'), { $ref: '#/components/schemas/UserChanges' });
    const tokenInput = document.components!.schemas!.TokenInput as { required: string[]; additionalProperties: boolean };
    assert.deepEqual(tokenInput.required.sort(), ['name', 'role']);
    assert.equal(tokenInput.additionalProperties, false, 'unknown keys are refused, as tokenInputSchema does');
    // a request body refused for a wrong type, a missing field and an unknown one, as the handler's schema refuses it
    const input = document.components!.schemas!.TokenInput;
    assert.deepEqual(schemaErrors({ name: 'x', role: 'viewer' }, input, document), []);
    assert.equal(schemaErrors({ name: 'x', role: 'root' }, input, document).length, 1);
    assert.equal(schemaErrors({ role: 'viewer' }, input, document).length, 1);
    assert.equal(schemaErrors({ name: 'x', role: 'viewer', secretHash: 'a' }, input, document).length, 1);
  });

  test('the schema check used against real answers fails where it should', () => {
    const view = document.components!.schemas!.CameraView;
    const camera = cameraViewSchema.parse({ id: 'gate', url: 'test://ball', status: null, inference: null, stitch: null });
    assert.deepEqual(schemaErrors(camera, view, document), []);
    assert.match(schemaErrors({ ...camera, token: 'leaked' }, view, document).join(), /"token" is not allowed/);
    assert.match(schemaErrors({ ...camera, id: 'no spaces' }, view, document).join(), /does not match/);
    assert.match(schemaErrors({ ...camera, status: 'live' }, view, document).join(), /is not object or null|matches none/);
    assert.throws(() => schemaErrors(1, { type: 'integer', multipleOf: 2 }, document), /does not know multipleOf/);
  });
});

describe('the reference page', () => {
  const document = build();
  const page = renderDocsPage(document);

  test('names every path and operation of the document, grouped by tag', () => {
    for (const [key] of operations(document)) {
      const [method, path] = key.split(' ');
      assert.ok(page.includes(`>${method}</span><code>${escapeHtml(path)}</code>`), key);
    }
    for (const tag of document.tags ?? []) assert.ok(page.includes(`<h2>${escapeHtml(tag.name)}</h2>`), tag.name);
    assert.ok(page.includes('id="schema-CameraView"') && page.includes('<a href="#schema-CameraView">'), 'schemas are listed, and $refs link to them');
  });

  test("loads nothing from anywhere, and its CSP allows exactly its own style sheet", () => {
    assert.doesNotMatch(page, /<script|<link|<img|<iframe|src=|https?:\/\//i);
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)![1]!;
    assert.ok(DOCS_PAGE_CSP.includes(`'sha256-${createHash('sha256').update(style).digest('base64')}'`));
    assert.match(DOCS_PAGE_CSP, /default-src 'none'/);
  });

  test('escapes every string it puts into HTML', () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&amp;</a>`), '&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;amp;&#60;/a&#62;');
  });

  test('a hostile document cannot add an element or an attribute', () => {
    const evil = '</pre></code></p>"\'><script>alert(1)</script><img src=x onerror=alert(1)>`<b onclick=1>`';
    const hostile: DocumentLike = {
      info: { title: evil, version: evil, description: `${evil}\n\n${evil}` },
      tags: [{ name: evil, description: evil }],
      paths: {
        [`/x/${evil}`]: {
          get: {
            operationId: evil,
            tags: [evil],
            summary: evil,
            description: evil,
            'x-vigil-access': evil,
            parameters: [{ name: evil, in: evil, description: evil, schema: { pattern: evil } }],
            requestBody: { content: { [evil]: { schema: { description: evil, $ref: `#/components/schemas/${evil}` } } } },
            responses: { [evil]: { description: evil, headers: { [evil]: { description: evil } }, content: { [evil]: { schema: { $ref: '#/components/schemas/A"><script>x</script>' } } } }, 401: { $ref: evil } },
          },
        },
      },
      components: { schemas: { [evil]: { description: evil } }, securitySchemes: { [evil]: { type: 'apiKey', in: evil, name: evil, description: evil } } },
    };
    const html = renderDocsPage(hostile);
    const allowedTags = new Set(['html', 'head', 'meta', 'title', 'style', 'body', 'main', 'h1', 'h2', 'h3', 'h4', 'p', 'a', 'nav', 'ul', 'li', 'section', 'article', 'span', 'code', 'strong', 'table', 'tr', 'th', 'td', 'br', 'details', 'summary', 'pre']);
    const allowedAttributes = new Set(['lang', 'charset', 'name', 'content', 'href', 'id', 'class']);
    assert.ok(html.startsWith('<!doctype html>\n'));
    const tags = [...html.slice('<!doctype html>'.length).replace(/<style>[\s\S]*?<\/style>/, '<style></style>').matchAll(/<(\/?)([^\s>/]+)([^>]*)>/g)];
    assert.ok(tags.length > 50);
    for (const [whole, , name, rest] of tags) {
      assert.ok(allowedTags.has(name!.toLowerCase()), `element ${whole}`);
      const attributes = rest!.trim() === '' ? [] : rest!.trim().match(/[^\s=]+="[^"]*"|\S+/g)!;
      for (const attribute of attributes) {
        const [, attributeName] = /^([^=]+)="[^"<>]*"$/.exec(attribute) ?? [];
        assert.ok(attributeName && allowedAttributes.has(attributeName), `attribute ${attribute} in ${whole}`);
      }
    }
    assert.ok(html.includes('&#60;script&#62;alert(1)&#60;/script&#62;'), 'the hostile text is shown, as text');
  });
});

test('paths are joined the way Nest joins them', () => {
  assert.equal(joinPath('api/cameras', ':id'), '/api/cameras/:id');
  assert.equal(joinPath('', 'livez'), '/livez');
  assert.equal(joinPath('/api/', '/'), '/api');
  assert.equal(joinPath('', ''), '/');
});
