import { randomBytes } from 'node:crypto';
import { digestMatches, sha256Text } from './digest';
import { newRecordId } from './record-fields';

/**
 * API tokens read `vgl_<id>_<secret>`: a prefix that secret scanners can be taught, an id that finds the record
 * without a search, and 32 random bytes. Only the secret's SHA-256 is stored.
 */
const TOKEN_PREFIX = 'vgl_';
/** the id is a record id (16 hex characters); the secret, 32 random bytes base64url */
export const API_TOKEN_PATTERN = /^vgl_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
/** `vgl_` + 16 + `_` + 43 */
export const API_TOKEN_LENGTH = 64;

export interface NewApiToken {
  id: string;
  secret: string;
  /** what the caller is shown once and sends as `Authorization: Bearer <token>` */
  token: string;
}

export function newApiToken(): NewApiToken {
  const id = newRecordId();
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, token: `${TOKEN_PREFIX}${id}_${secret}` };
}

/** The id and secret of a well-formed token; undefined for anything else (checked by length before any pattern). */
export function parseApiToken(text: unknown): { id: string; secret: string } | undefined {
  if (typeof text !== 'string' || text.length !== API_TOKEN_LENGTH) return undefined;
  const match = API_TOKEN_PATTERN.exec(text);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

/**
 * A plain SHA-256 is the right hash here, unlike for passwords: the secret is 256 random bits, so there is no
 * dictionary to try and a slow hash would only slow down every API request. It still keeps a Redis dump from
 * holding a usable token.
 */
export function hashTokenSecret(secret: string): string {
  return sha256Text(secret);
}

/** Timing-safe: compares digests of equal length. */
export function tokenSecretMatches(secret: string, hash: string): boolean {
  return digestMatches(secret, hash);
}
