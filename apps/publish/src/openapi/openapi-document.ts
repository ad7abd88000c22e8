import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { AccessRule } from '@vigil/auth';
import { JSON_BODY_LIMIT, SESSION_COOKIE } from '@vigil/platform';
import { NAMED_SCHEMAS, routeDocs, TAGS, type NamedSchemas, type Reply, type RouteDoc, type Tag } from './route-docs';
import type { ServedRoute } from './served-routes';

// registry.register names a schema through `.openapi()`, which this adds to zod's prototype. Nothing else here
// calls `.openapi()`, so the shared schemas may be defined before this runs, as they are.
extendZodWithOpenApi(z);

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;
type Responses = RouteConfig['responses'];

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const ROUTE_TABLE = 'apps/publish/src/openapi/route-docs.ts';

const SECURITY_SCHEMES = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description:
      "`Authorization: Bearer <token>`: ADMIN_TOKEN, an API token (`vgl_...`, from POST /api/tokens), or, where AUTH_JWKS_URL is set, a JWT from the site's identity provider. A requirement that lists `admin` needs an admin.",
  },
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: 'The session cookie POST /api/auth/login sets. A request with it from a page of another origin (not in ALLOWED_ORIGINS) is a 403, and so is a write without an Origin.',
  },
  metricsToken: { type: 'http', scheme: 'bearer', description: '`Authorization: Bearer <METRICS_TOKEN>`, where METRICS_TOKEN is set.' },
  linkExpiry: { type: 'apiKey', in: 'query', name: 'exp', description: 'With `sig`: a signed link from a webhook body, which works without an identity until `exp`.' },
  linkSignature: { type: 'apiKey', in: 'query', name: 'sig', description: 'With `exp`: the HMAC of the path and `exp`. A tampered or expired link is a 404.' },
} as const;

const ERROR_REF = { $ref: '#/components/schemas/ApiError' };
const SHARED_RESPONSES = {
  Unauthorized: {
    description: 'no credentials, or ones that do not work (unknown, revoked or expired token, bad JWT, ended session)',
    headers: { 'WWW-Authenticate': { description: '`Bearer realm="vigil"`', schema: { type: 'string' as const } } },
    content: { 'application/json': { schema: ERROR_REF } },
  },
  PayloadTooLarge: { description: `a body over ${JSON_BODY_LIMIT}`, content: { 'application/json': { schema: ERROR_REF } } },
  UnsupportedMediaType: {
    description:
      'a body that is not JSON (`Content-Type: application/json`): a form or text/plain body, which another site could send through a signed-in browser, is refused unread; so is JSON in a charset other than UTF-8',
    content: { 'application/json': { schema: ERROR_REF } },
  },
};
const sharedResponse = (name: keyof typeof SHARED_RESPONSES) => ({ $ref: `#/components/responses/${name}` });

/**
 * The OpenAPI 3.1 document of the routes this process serves. Method, path and access come from the controllers'
 * decorators (`served`, read from the same metadata the router and the guard use); what a route takes and answers
 * comes from the route table, in the very zod schemas the handlers validate with. Throws on a served route the
 * table lacks or one without an access rule, so that neither can reach a running process. Same input, same
 * document: paths follow the table's order.
 */
export function openApiDocument(served: readonly ServedRoute[], version: string): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  const named = Object.fromEntries(Object.entries(NAMED_SCHEMAS).map(([name, schema]) => [name, registry.register(name, schema)])) as NamedSchemas;
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) registry.registerComponent('securitySchemes', name, scheme);
  for (const [name, response] of Object.entries(SHARED_RESPONSES)) registry.registerComponent('responses', name, response);
  const docs = routeDocs(named);
  const undocumented = served.filter((route) => !Object.hasOwn(docs, route.key));
  if (undocumented.length > 0) throw new Error(`routes without an entry in the API reference (${ROUTE_TABLE}): ${undocumented.map((route) => `${route.key} (${route.handler})`).join(', ')}`);
  const byKey = new Map(served.map((route) => [route.key, route]));
  const tags = new Set<Tag>();
  for (const [key, doc] of Object.entries(docs)) {
    const route = byKey.get(key);
    if (!route) continue; // another process serves it
    if (!route.rule) throw new Error(`${key} (${route.handler}) declares no access rule`);
    registry.registerPath(operation(route, route.rule, doc));
    tags.add(doc.tag);
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'vigil',
      version,
      description:
        'Real-time camera analytics. Every route needs an identity with a role (`admin`, or `viewer`: reads only, optionally limited to some cameras) unless it is public; the role each needs is in its `x-vigil-access`. Writes take JSON only. A 4xx answer has the body `{ statusCode, message, error }`.',
    },
    tags: (Object.keys(TAGS) as Tag[]).filter((tag) => tags.has(tag)).map((tag) => ({ name: tag, description: TAGS[tag] })),
  });
}

function operation(route: ServedRoute, rule: AccessRule, doc: RouteDoc): RouteConfig {
  const path = route.path.replace(/:(\w+)/g, '{$1}');
  checkParams(route, doc);
  return {
    method: route.method.toLowerCase() as RouteConfig['method'],
    path,
    operationId: doc.operationId,
    tags: [doc.tag],
    summary: doc.summary,
    description: [accessText(rule), doc.description].filter(Boolean).join('\n\n'),
    security: securityOf(rule),
    'x-vigil-access': rule.level,
    ...(rule.signedLink ? { 'x-vigil-signed-link': true } : {}),
    request: {
      ...(doc.params ? { params: doc.params } : {}),
      ...(doc.query ? { query: doc.query } : {}),
      ...(doc.headers ? { headers: doc.headers } : {}),
      ...(doc.body ? { body: { required: true, content: { 'application/json': { schema: doc.body } } } } : {}),
    },
    responses: { ...successes(doc), ...errors(route, rule, doc) },
  };
}

/** The path's `:names` and the params schema's keys must be the same: a parameter documented nowhere is a bug here. */
function checkParams(route: ServedRoute, doc: RouteDoc): void {
  const inPath = [...route.path.matchAll(/:(\w+)/g)].map((match) => match[1]!).sort();
  const documented = Object.keys(doc.params?.shape ?? {}).sort();
  if (inPath.join() !== documented.join()) throw new Error(`${route.key}: the path has parameters [${inPath.join(', ')}], the API reference documents [${documented.join(', ')}]`);
}

/** Who may call it, in the terms of the security schemes. OpenAPI 3.1 lets a requirement list roles for any scheme. */
function securityOf(rule: AccessRule): NonNullable<RouteConfig['security']> {
  if (rule.level === 'public') return [];
  const roles = rule.level === 'viewer' ? [] : ['admin'];
  const requirements: NonNullable<RouteConfig['security']> = [{ bearer: roles }, { session: roles }];
  if (rule.level === 'metrics') requirements.unshift({ metricsToken: [] });
  if (rule.signedLink) requirements.push({ linkExpiry: [], linkSignature: [] });
  return requirements;
}

function accessText(rule: AccessRule): string {
  const text = {
    public: 'Access: public (no identity needed).',
    viewer: 'Access: viewer (any signed-in identity; one limited to some cameras sees only those).',
    admin: 'Access: admin.',
    metrics: 'Access: METRICS_TOKEN where it is set, or an admin.',
  }[rule.level];
  return rule.signedLink ? `${text} A signed link (\`exp\`, \`sig\`) opens it without an identity.` : text;
}

function successes(doc: RouteDoc): Responses {
  return Object.fromEntries(Object.entries(doc.replies).map(([status, reply]) => [status, response(reply)]));
}

/** The route's own error answers, then those of its access rule, its method and its body. */
function errors(route: ServedRoute, rule: AccessRule, doc: RouteDoc): Responses {
  const own: Responses = Object.fromEntries(Object.entries(doc.errors ?? {}).map(([status, cause]) => [status, response(typeof cause === 'string' ? { description: cause } : cause, true)]));
  if (doc.body) {
    const invalid = (own[400] as ResponseConfig | undefined)?.description ?? 'the body does not pass the schema: the message names the field';
    own[400] = response({ description: `${invalid}; or the body cannot be read as JSON` }, true);
    own[413] = sharedResponse('PayloadTooLarge');
  }
  if (WRITES.has(route.method)) own[415] = sharedResponse('UnsupportedMediaType');
  if (rule.level !== 'public') {
    own[401] ??= sharedResponse('Unauthorized');
    own[403] ??= response({ description: forbiddenText(rule) }, true);
  }
  if (rule.signedLink) {
    const notFound = own[404] as ResponseConfig | undefined;
    own[404] = response({ description: `${notFound ? `${notFound.description}; or ` : ''}a signed link that was tampered with or has expired` }, true);
  }
  return own;
}

function forbiddenText(rule: AccessRule): string {
  const cookie = 'or a request with the session cookie from a page of another origin';
  return rule.level === 'viewer' ? `a request with the session cookie from a page of another origin` : `the identity is not an admin${rule.level === 'metrics' ? ' (and no METRICS_TOKEN was sent)' : ''}, ${cookie}`;
}

/** An answer; an error without its own schema has the error body. */
function response(reply: Reply, error = false): ResponseConfig {
  const schema = reply.schema ?? reply.raw ?? (error ? ERROR_REF : undefined);
  return {
    description: reply.description,
    ...(reply.headers ? { headers: reply.headers } : {}),
    ...(schema ? { content: { [reply.type ?? 'application/json']: { schema } } } : {}),
  };
}
