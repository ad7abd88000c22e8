import { createHash } from 'node:crypto';

/**
 * The reference page: plain HTML made from the OpenAPI document, no script, no request to anywhere else. Every
 * string from the document is escaped where it is put; the page's CSP allows its one style sheet and nothing more,
 * so even a missed escape could not run a script.
 */

/** What the page reads of a document; anything else in it is ignored. */
export interface DocumentLike {
  info: { title: string; version: string; description?: string };
  tags?: readonly { name: string; description?: string }[];
  paths?: object;
  components?: { schemas?: Record<string, unknown>; responses?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
}

interface Operation {
  operationId?: string;
  tags?: string[];
  summary?: string;
  description?: string;
  security?: Record<string, string[]>[];
  'x-vigil-access'?: string;
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: unknown }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, Response | { $ref: string }>;
}

interface Response {
  description?: string;
  headers?: Record<string, { description?: string }>;
  content?: Record<string, { schema?: unknown }>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1b1f24; background: #fafbfc; }
main { max-width: 70rem; margin: 0 auto; padding: 1rem 1.5rem 4rem; }
h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #d0d7de; padding-bottom: 0.3rem; }
nav ul { columns: 2; padding-left: 1.2rem; }
article { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 0.2rem 1rem 0.8rem; margin: 1rem 0; }
h3 code { font-size: 1rem; } h4 { margin: 0.9rem 0 0.3rem; }
.method { display: inline-block; min-width: 4.2rem; text-align: center; border-radius: 4px; color: #fff; font: bold 0.8rem monospace; padding: 0.15rem 0.3rem; margin-right: 0.4rem; }
.get { background: #0969da; } .post { background: #1a7f37; } .put { background: #9a6700; } .delete { background: #cf222e; } .patch { background: #8250df; }
.access { font-size: 0.8rem; border: 1px solid #8c959f; border-radius: 1rem; padding: 0.05rem 0.5rem; margin-left: 0.4rem; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; vertical-align: top; border-top: 1px solid #d0d7de; padding: 0.3rem 0.5rem; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 4px; padding: 0.5rem; overflow: auto; max-height: 28rem; font-size: 0.8rem; }
details > summary { cursor: pointer; color: #0969da; }
`;

/** Allows the page's own style sheet, by its hash, and nothing else: no script, image, frame, form or base. */
export const DOCS_PAGE_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

/** Text made safe for HTML content and for quoted attribute values. */
export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** An id attribute (and fragment) from any text: only the characters that need no escaping in either. */
function anchor(prefix: string, text: string): string {
  return `${prefix}-${text.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

export function renderDocsPage(document: DocumentLike): string {
  const operations = collectOperations(document);
  const tags = tagOrder(document, operations);
  const title = `${document.info.title} API ${document.info.version}`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main>`,
    `<h1>${escapeHtml(title)}</h1>`,
    paragraphs(document.info.description),
    // relative, so that the link holds behind a proxy that serves vigil under a path of its own
    '<p>The same as an OpenAPI 3.1 document: <a href="openapi.json"><code>/api/openapi.json</code></a>.</p>',
    '<nav><h2>Contents</h2><ul>',
    ...tags.map((tag) => `<li><a href="#${anchor('tag', tag.name)}">${escapeHtml(tag.name)}</a></li>`),
    '<li><a href="#security">Credentials</a></li><li><a href="#schemas">Schemas</a></li></ul></nav>',
    ...tags.map((tag) => section(tag, operations.filter((op) => (op.operation.tags?.[0] ?? '') === tag.name), document)),
    securitySection(document),
    schemasSection(document),
    '</main></body></html>',
  ].join('\n');
}

interface Listed {
  method: string;
  path: string;
  operation: Operation;
}

function collectOperations(document: DocumentLike): Listed[] {
  return (Object.entries(document.paths ?? {}) as [string, Record<string, unknown>][]).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method] !== undefined).map((method) => ({ method, path, operation: item[method] as Operation })),
  );
}

/** The document's tags in its order, then any an operation names that the document does not list. */
function tagOrder(document: DocumentLike, operations: Listed[]): { name: string; description?: string }[] {
  const tags = [...(document.tags ?? [])];
  for (const { operation } of operations) {
    const name = operation.tags?.[0] ?? '';
    if (!tags.some((tag) => tag.name === name)) tags.push({ name });
  }
  return tags;
}

function section(tag: { name: string; description?: string }, operations: Listed[], document: DocumentLike): string {
  return [`<section id="${anchor('tag', tag.name)}"><h2>${escapeHtml(tag.name)}</h2>`, paragraphs(tag.description), ...operations.map((op) => article(op, document)), '</section>'].join('\n');
}

function article({ method, path, operation }: Listed, document: DocumentLike): string {
  const access = operation['x-vigil-access'];
  return [
    `<article id="${anchor('op', operation.operationId ?? `${method}${path}`)}">`,
    `<h3><span class="method ${method}">${method.toUpperCase()}</span><code>${escapeHtml(path)}</code>${access ? `<span class="access">${escapeHtml(access)}</span>` : ''}</h3>`,
    operation.summary ? `<p><strong>${prose(operation.summary)}</strong></p>` : '',
    paragraphs(operation.description),
    parametersTable(operation.parameters ?? []),
    requestBody(operation.requestBody),
    responses(operation.responses ?? {}, document),
    '</article>',
  ].join('\n');
}

function parametersTable(parameters: NonNullable<Operation['parameters']>): string {
  if (parameters.length === 0) return '';
  const rows = parameters.map(
    (p) => `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${escapeHtml(p.in)}</td><td>${p.required ? 'required' : 'optional'}</td><td><code>${escapeHtml(JSON.stringify(withoutDescription(p.schema)))}</code></td><td>${prose(p.description)}</td></tr>`,
  );
  return `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th></th><th>schema</th><th>description</th></tr>${rows.join('')}</table>`;
}

/** A parameter's schema as shown beside its description, which it usually repeats. */
function withoutDescription(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null) return schema ?? {};
  const { description: _shown, ...rest } = schema as Record<string, unknown>;
  return rest;
}

function requestBody(body: Operation['requestBody']): string {
  if (!body?.content) return '';
  return ['<h4>Request body</h4>', ...Object.entries(body.content).map(([type, media]) => `<p><code>${escapeHtml(type)}</code></p>${json(media.schema)}`)].join('\n');
}

function responses(all: NonNullable<Operation['responses']>, document: DocumentLike): string {
  const rows = Object.entries(all).map(([status, given]) => {
    const reply = resolveResponse(given, document);
    const headers = Object.entries(reply.headers ?? {}).map(([name, header]) => `<br>header <code>${escapeHtml(name)}</code>: ${prose(header.description)}`);
    const bodies = Object.entries(reply.content ?? {}).map(([type, media]) => `<details><summary>${escapeHtml(type)}</summary>${json(media.schema)}</details>`);
    return `<tr><td><strong>${escapeHtml(status)}</strong></td><td>${prose(reply.description)}${headers.join('')}${bodies.join('')}</td></tr>`;
  });
  return `<h4>Responses</h4><table>${rows.join('')}</table>`;
}

/** A shared response (`#/components/responses/...`) as the operation would have it written out. */
function resolveResponse(given: Response | { $ref: string }, document: DocumentLike): Response {
  if (!('$ref' in given)) return given;
  const name = given.$ref.replace('#/components/responses/', '');
  return (document.components?.responses?.[name] as Response | undefined) ?? { description: `(missing: ${given.$ref})` };
}

function securitySection(document: DocumentLike): string {
  const rows = Object.entries(document.components?.securitySchemes ?? {}).map(([name, given]) => {
    const scheme = given as { type?: string; scheme?: string; in?: string; name?: string; description?: string };
    const where = scheme.type === 'apiKey' ? `${scheme.in ?? ''} ${scheme.name ?? ''}` : `${scheme.type ?? ''} ${scheme.scheme ?? ''}`;
    return `<tr><td><code>${escapeHtml(name)}</code></td><td>${escapeHtml(where)}</td><td>${prose(scheme.description)}</td></tr>`;
  });
  return `<section id="security"><h2>Credentials</h2><table><tr><th>scheme</th><th>where</th><th></th></tr>${rows.join('')}</table></section>`;
}

function schemasSection(document: DocumentLike): string {
  const entries = Object.entries(document.components?.schemas ?? {});
  return [`<section id="schemas"><h2>Schemas</h2>`, ...entries.map(([name, schema]) => `<h3 id="${anchor('schema', name)}"><code>${escapeHtml(name)}</code></h3>${json(schema)}`), '</section>'].join('\n');
}

/**
 * A schema as indented JSON, escaped, with each `$ref` to a named schema made a link to it. The link is put into
 * text that is already escaped, and only for names made of characters that need no escaping.
 */
function json(value: unknown): string {
  const text = escapeHtml(JSON.stringify(value ?? {}, null, 2));
  return `<pre>${text.replace(/&#34;#\/components\/schemas\/([A-Za-z0-9_.-]+)&#34;/g, (_, name: string) => `<a href="#${anchor('schema', name)}">&#34;#/components/schemas/${name}&#34;</a>`)}</pre>`;
}

/** Paragraphs at blank lines. */
function paragraphs(text: string | undefined): string {
  if (!text) return '';
  return text
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${prose(paragraph)}</p>`)
    .join('\n');
}

/** A description: escaped, then its `code` spans marked (a backtick is not escaped, nor needs to be). */
function prose(text: string | undefined): string {
  return escapeHtml(text ?? '').replace(/`([^`]+)`/g, '<code>$1</code>');
}
