import { z } from 'zod';
import type { Identity } from './roles';

/** A camera id pattern: camera id characters (CAMERA_ID_PATTERN) plus `*`, which matches any run of them. */
export const CAMERA_PATTERN = /^[A-Za-z0-9*][A-Za-z0-9_*-]{0,63}$/;
/** Patterns one grant may list. */
export const MAX_CAMERA_PATTERNS = 64;

export const cameraPatternSchema = z.string().regex(CAMERA_PATTERN, 'must be 1-64 letters, digits, "-", "_" or "*", starting with a letter, digit or "*"');

/** A grant's `cameras`: absent means every camera; present, at least one pattern (an empty list would mean none). */
export const cameraPatternsSchema = z.array(cameraPatternSchema).min(1).max(MAX_CAMERA_PATTERNS);

/**
 * Which cameras an identity may see. Patterns are matched as globs by plain string search, never compiled to a
 * RegExp: they come from API input and JWT claims, and a regex built from them could be made to backtrack for
 * seconds. Matching is case-sensitive, like camera ids.
 */
export class CameraScope {
  /** true when the identity is not limited to some cameras */
  readonly all: boolean;
  private readonly exact = new Set<string>();
  private readonly globs: (readonly string[])[] = [];

  constructor(patterns?: readonly string[]) {
    this.all = patterns === undefined;
    for (const pattern of patterns ?? []) {
      if (!pattern.includes('*')) this.exact.add(pattern);
      else this.globs.push(pattern.split('*'));
    }
  }

  static of(identity: Pick<Identity, 'cameras'>): CameraScope {
    return new CameraScope(identity.cameras);
  }

  allows(cameraId: string): boolean {
    if (this.all || this.exact.has(cameraId)) return true;
    return this.globs.some((parts) => globMatches(parts, cameraId));
  }

  filter<T>(items: readonly T[], idOf: (item: T) => string): T[] {
    return this.all ? [...items] : items.filter((item) => this.allows(idOf(item)));
  }
}

/**
 * `parts` is a pattern split at its `*`s. The first part must start the text and the last must end it; each part
 * between may take its leftmost place after the one before (taking the leftmost place never loses a match, since
 * what follows a `*` may begin anywhere later). One pass, no backtracking: at most one search per part.
 */
export function globMatches(parts: readonly string[], text: string): boolean {
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (parts.length === 1) return text === first;
  if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last)) return false;
  let at = first.length;
  const end = text.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i]!;
    if (part === '') continue;
    const found = text.indexOf(part, at);
    if (found < 0 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}
