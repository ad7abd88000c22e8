import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** The parts of a compose service the deployment checks read. */
export interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string | number>;
  volumes?: string[];
  ports?: string[];
  secrets?: (string | { source: string; target?: string })[];
  healthcheck?: { test: string[] };
  read_only?: boolean;
  tmpfs?: string | string[];
  cap_drop?: string[];
  cap_add?: string[];
  security_opt?: string[];
  privileged?: boolean;
}

export interface ComposeProject {
  services: Record<string, ComposeService>;
  secrets?: Record<string, { file?: string; environment?: string }>;
}

/** Sequences compose replaces rather than merges when a later file sets them. */
const REPLACED = new Set(['command', 'entrypoint', 'test']);

/**
 * The compose files as `docker compose -f a -f b` combines them: mappings merge, a later scalar wins, sequences are
 * concatenated (duplicates once) except commands and health check tests, which the later file replaces.
 */
export function loadCompose(root: string, files: readonly string[]): ComposeProject {
  return files.map((file) => parse(readFileSync(join(root, file), 'utf8'), { merge: true }) as unknown).reduce((base, overlay) => merge(base, overlay)) as ComposeProject;
}

function merge(base: unknown, overlay: unknown, key = ''): unknown {
  if (Array.isArray(base) && Array.isArray(overlay)) {
    if (REPLACED.has(key)) return overlay;
    const seen = new Set(base.map((item) => JSON.stringify(item)));
    return [...base, ...overlay.filter((item) => !seen.has(JSON.stringify(item)))];
  }
  if (isMapping(base) && isMapping(overlay)) {
    const merged: Record<string, unknown> = { ...base };
    for (const [name, value] of Object.entries(overlay)) merged[name] = name in base ? merge(base[name], value, name) : value;
    return merged;
  }
  return overlay;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Compose's interpolation of `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`,
 * `${VAR?message}` and `$$`, with `shell` as the shell and .env: a required variable that is missing throws its
 * message, as `docker compose up` refuses to start.
 */
export function interpolate(value: string, shell: Readonly<Record<string, string>>): string {
  return value.replace(/\$(?:\$|(\w+)|\{(\w+)(?:(:?)([-?])([^}]*))?\})/g, (whole, bare?: string, name?: string, colon?: string, kind?: string, word?: string) => {
    if (whole === '$$') return '$';
    const variable = bare ?? name!;
    const set = variable in shell && (colon !== ':' || shell[variable] !== '');
    if (set) return shell[variable]!;
    if (kind === '?') throw new Error(`required variable ${variable} is missing a value: ${word}`);
    return kind === '-' ? word! : '';
  });
}

