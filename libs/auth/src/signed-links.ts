import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** How long a link in a webhook body works unless configured otherwise: 7 days. */
export const DEFAULT_LINK_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** A link whose expiry lies further than this from now is refused, however it was signed. */
export const MAX_LINK_TTL_MS = 366 * 24 * 60 * 60 * 1000;
const MAX_PATH_LENGTH = 1024;
/** Absolute, segments of unreserved characters, none empty, `.` or `..`: one spelling per resource. */
const SEGMENT = /^[A-Za-z0-9_~.-]+$/;
const EXP_PATTERN = /^[1-9][0-9]{0,15}$/;
const SIG_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The query of a signed link, as the API reference shows it (verifyLink checks the same patterns). */
export const linkQuerySchema = z.object({
  exp: z.string().regex(EXP_PATTERN).describe('epoch ms after which the link no longer works'),
  sig: z.string().regex(SIG_PATTERN).describe('base64url HMAC-SHA256 of the path and `exp`'),
});
export type LinkQuery = z.infer<typeof linkQuerySchema>;

/**
 * Signs `path` until `expiresAt` (epoch ms). Only a canonical path can be signed: what is signed is what is served,
 * and a path with `..`, `%`, `//` or a trailing slash could name one file in several ways. Throws on such a path.
 */
export function signLink(path: string, expiresAt: number, key: Buffer): LinkQuery {
  if (!isCanonicalPath(path)) throw new RangeError(`not a canonical path to sign: ${JSON.stringify(path.slice(0, 80))}`);
  if (!Number.isSafeInteger(expiresAt) || expiresAt <= 0) throw new RangeError(`a link's expiry must be epoch ms, got ${expiresAt}`);
  const exp = String(expiresAt);
  return { exp, sig: mac(path, exp, key) };
}

/** `path?exp=…&sig=…`, to be put after the site's public origin. */
export function signedPath(path: string, expiresAt: number, key: Buffer): string {
  const { exp, sig } = signLink(path, expiresAt, key);
  return `${path}?${new URLSearchParams({ exp, sig })}`;
}

/**
 * Whether `query` (a request's parsed query string: values may be arrays or objects) carries a valid, unexpired
 * signature of exactly `path`. Anything malformed, oversized or altered is false; the comparison is timing-safe.
 */
export function verifyLink(path: string, query: { readonly exp?: unknown; readonly sig?: unknown }, key: Buffer, now: number): boolean {
  const { exp, sig } = query;
  if (typeof exp !== 'string' || typeof sig !== 'string' || !EXP_PATTERN.test(exp) || !SIG_PATTERN.test(sig)) return false;
  if (!isCanonicalPath(path)) return false;
  const expiresAt = Number(exp);
  if (expiresAt <= now || expiresAt > now + MAX_LINK_TTL_MS) return false;
  // The texts, not the decoded bytes: the last base64url character carries two unused bits, so four spellings
  // decode alike, and only ours is the signature.
  const expected = Buffer.from(mac(path, exp, key), 'ascii');
  const given = Buffer.from(sig, 'ascii');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function isCanonicalPath(path: string): boolean {
  if (path.length < 2 || path.length > MAX_PATH_LENGTH || !path.startsWith('/')) return false;
  return path
    .slice(1)
    .split('/')
    .every((segment) => SEGMENT.test(segment) && segment !== '.' && segment !== '..');
}

function mac(path: string, exp: string, key: Buffer): string {
  // A versioned, newline-separated string: neither part can contain a newline, so no two inputs collide.
  return createHmac('sha256', key).update(`vigil-link-v1\n${path}\n${exp}`, 'utf8').digest('base64url');
}
