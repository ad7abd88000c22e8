/**
 * A small JSON Schema check, for holding real answers against the OpenAPI document (what a client generated from it
 * would expect), independently of the zod schemas it was made from. It knows the keywords the document uses and
 * throws on any other, so a schema it cannot check fails the test instead of passing unchecked.
 */

type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set(['description', 'default', 'format', 'title', 'example', 'examples', 'contentMediaType', 'deprecated', 'readOnly', 'writeOnly']);
const CHECKED = new Set([
  '$ref',
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'prefixItems',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'anyOf',
  'oneOf',
  'allOf',
]);

/** What is wrong with `value` under `schema` (`$ref`s resolved in `root`): one line per problem, empty when none. */
export function schemaErrors(value: unknown, schema: unknown, root: unknown, at = '$'): string[] {
  if (schema === true || (typeof schema === 'object' && schema !== null && Object.keys(schema).length === 0)) return [];
  if (schema === false) return [`${at}: no value is allowed here`];
  if (typeof schema !== 'object' || schema === null) throw new Error(`${at}: not a schema: ${JSON.stringify(schema)}`);
  const s = schema as Schema;
  const unknown = Object.keys(s).filter((key) => !CHECKED.has(key) && !ANNOTATIONS.has(key));
  if (unknown.length > 0) throw new Error(`${at}: the check does not know ${unknown.join(', ')}`);
  if (typeof s.$ref === 'string') return schemaErrors(value, resolveRef(root, s.$ref), root, at);
  const errors: string[] = [];
  const fail = (message: string) => errors.push(`${at}: ${message}`);
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((type) => hasType(value, type))) return [`${at}: ${JSON.stringify(value)?.slice(0, 80)} is not ${types.join(' or ')}`];
  }
  if (s.enum !== undefined && !(s.enum as unknown[]).some((option) => option === value)) fail(`${JSON.stringify(value)} is not one of ${JSON.stringify(s.enum)}`);
  if (s.const !== undefined && s.const !== value) fail(`${JSON.stringify(value)} is not ${JSON.stringify(s.const)}`);
  if (typeof value === 'string') {
    if (typeof s.minLength === 'number' && [...value].length < s.minLength) fail(`shorter than ${s.minLength}`);
    if (typeof s.maxLength === 'number' && [...value].length > s.maxLength) fail(`longer than ${s.maxLength}`);
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) fail(`${JSON.stringify(value)} does not match ${s.pattern}`);
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) fail(`${value} < ${s.minimum}`);
    if (typeof s.maximum === 'number' && value > s.maximum) fail(`${value} > ${s.maximum}`);
    if (typeof s.exclusiveMinimum === 'number' && value <= s.exclusiveMinimum) fail(`${value} <= ${s.exclusiveMinimum}`);
    if (typeof s.exclusiveMaximum === 'number' && value >= s.exclusiveMaximum) fail(`${value} >= ${s.exclusiveMaximum}`);
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems) fail(`fewer than ${s.minItems} items`);
    if (typeof s.maxItems === 'number' && value.length > s.maxItems) fail(`more than ${s.maxItems} items`);
    const prefix = (s.prefixItems as unknown[] | undefined) ?? [];
    prefix.forEach((item, i) => i < value.length && errors.push(...schemaErrors(value[i], item, root, `${at}[${i}]`)));
    if (s.items !== undefined) value.slice(prefix.length).forEach((item, i) => errors.push(...schemaErrors(item, s.items, root, `${at}[${i + prefix.length}]`)));
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    const properties = (s.properties as Record<string, unknown> | undefined) ?? {};
    for (const name of (s.required as string[] | undefined) ?? []) if (!(name in object)) fail(`"${name}" is missing`);
    for (const [name, item] of Object.entries(object)) {
      if (name in properties) errors.push(...schemaErrors(item, properties[name], root, `${at}.${name}`));
      else if (s.additionalProperties === false) fail(`"${name}" is not allowed`);
      else if (typeof s.additionalProperties === 'object') errors.push(...schemaErrors(item, s.additionalProperties, root, `${at}.${name}`));
    }
  }
  for (const part of (s.allOf as unknown[] | undefined) ?? []) errors.push(...schemaErrors(value, part, root, at));
  if (s.anyOf !== undefined && !(s.anyOf as unknown[]).some((part) => schemaErrors(value, part, root, at).length === 0)) fail('matches none of anyOf');
  if (s.oneOf !== undefined) {
    const matching = (s.oneOf as unknown[]).filter((part) => schemaErrors(value, part, root, at).length === 0).length;
    if (matching !== 1) fail(`matches ${matching} of oneOf, not one`);
  }
  return errors;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'string':
    case 'boolean':
      return typeof value === type;
    default:
      throw new Error(`unknown type ${type}`);
  }
}

/** A local JSON pointer (`#/components/schemas/CameraView`) into `root`; throws where it leads nowhere. */
export function resolveRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`not a local reference: ${ref}`);
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) throw new Error(`${ref} leads nowhere`);
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
