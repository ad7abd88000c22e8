import { readFileSync, statSync } from 'node:fs';
import { basename, join, normalize } from 'node:path';
import { parseManifest, parseManifests, type Resource } from './k8s';

interface Kustomization {
  resources?: string[];
  secretGenerator?: { name: string; envs?: string[]; files?: string[]; literals?: string[] }[];
  patches?: { target: { kind: string; name: string }; patch: string }[];
}

/** The kustomization fields the renderer understands; any other one throws, so a new feature is not misread. */
const UNDERSTOOD = new Set(['apiVersion', 'kind', 'namespace', 'labels', 'resources', 'secretGenerator', 'patches', 'images']);

export interface Rendered {
  resources: Resource[];
  /** the files secretGenerator reads, relative to the repository root */
  generatorSources: string[];
}

/**
 * What `kubectl kustomize <dir>` gives, as far as vigil's kustomizations go: resources (files and directories),
 * secretGenerator (envs, files, literals) and JSON 6902 patches aimed at a kind and name. Generated names keep no
 * hash suffix, and the images, labels and namespace fields (which change no checked setting) are left out.
 * `readSource` reads a generator's file: the real ones are not committed, so the checks pass their examples.
 */
export function renderKustomization(root: string, dir: string, readSource: (path: string) => string): Rendered {
  const kustomization = parseManifest<Kustomization & Record<string, unknown>>(readFileSync(join(root, dir, 'kustomization.yaml'), 'utf8'));
  for (const field of Object.keys(kustomization)) {
    if (!UNDERSTOOD.has(field)) throw new Error(`${dir}/kustomization.yaml: the checks do not understand "${field}"`);
  }
  const resources: Resource[] = [];
  const generatorSources: string[] = [];
  for (const entry of kustomization.resources ?? []) {
    const path = normalize(join(dir, entry));
    if (statSync(join(root, path)).isDirectory()) {
      const inner = renderKustomization(root, path, readSource);
      resources.push(...inner.resources);
      generatorSources.push(...inner.generatorSources);
    } else {
      resources.push(...parseManifests(readFileSync(join(root, path), 'utf8')));
    }
  }
  for (const generator of kustomization.secretGenerator ?? []) {
    const stringData: Record<string, string> = {};
    for (const literal of generator.literals ?? []) Object.assign(stringData, envLines(literal));
    for (const file of generator.envs ?? []) {
      const path = normalize(join(dir, file));
      generatorSources.push(path);
      Object.assign(stringData, envLines(readSource(path)));
    }
    for (const file of generator.files ?? []) {
      const [key, source] = file.includes('=') ? (file.split('=', 2) as [string, string]) : [basename(file), file];
      const path = normalize(join(dir, source));
      generatorSources.push(path);
      stringData[key] = readSource(path);
    }
    resources.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: generator.name }, stringData });
  }
  for (const { target, patch } of kustomization.patches ?? []) {
    const resource = resources.find((r) => r.kind === target.kind && r.metadata.name === target.name);
    if (!resource) throw new Error(`${dir}: a patch targets ${target.kind} ${target.name}, which is not among the resources`);
    for (const operation of parseManifest<JsonPatchOperation[]>(patch)) applyJsonPatch(resource, operation);
  }
  return { resources, generatorSources };
}

/** An env file's (or literal's) KEY=VALUE lines; blank lines and # comments are skipped, as kustomize does. */
function envLines(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const at = line.indexOf('=');
    if (at <= 0) throw new Error(`"${line}" is not KEY=VALUE`);
    values[line.slice(0, at)] = line.slice(at + 1);
  }
  return values;
}

export interface JsonPatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

/** RFC 6902's add, replace and remove; like kustomize, a path through something missing is an error. */
export function applyJsonPatch(document: unknown, { op, path, value }: JsonPatchOperation): void {
  const tokens = path.split('/').slice(1).map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = tokens.pop();
  if (last === undefined) throw new Error(`patch path "${path}" names the whole document`);
  let parent = document as Record<string, unknown> | unknown[];
  for (const token of tokens) {
    const next = Array.isArray(parent) ? parent[Number(token)] : parent[token];
    if (next === null || typeof next !== 'object') throw new Error(`patch path "${path}": nothing at "${token}"`);
    parent = next as Record<string, unknown> | unknown[];
  }
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) throw new Error(`patch path "${path}": no index ${last}`);
    if (op === 'add') parent.splice(index, 0, value);
    else if (index >= parent.length) throw new Error(`patch path "${path}": no element ${last} to ${op}`);
    else if (op === 'replace') parent[index] = value;
    else parent.splice(index, 1);
    return;
  }
  if (op !== 'add' && !(last in parent)) throw new Error(`patch path "${path}": nothing to ${op}`);
  if (op === 'remove') delete parent[last];
  else parent[last] = value;
}
