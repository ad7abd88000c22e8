import { randomBytes } from 'node:crypto';
import { sha256Text } from './digest';

/** A session id (the cookie value): 32 random bytes, base64url. */
const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

/** The session id of a cookie value; undefined for anything else. */
export function parseSessionId(text: unknown): string | undefined {
  return typeof text === 'string' && text.length === 43 && SESSION_ID_PATTERN.test(text) ? text : undefined;
}

/**
 * What Redis stores and revocations name instead of the session id: its SHA-256 (fast is fine, the id is 256
 * random bits). Someone who reads a Redis dump or the revocation channel cannot sign in with it.
 */
export function sessionHandle(sessionId: string): string {
  return sha256Text(sessionId);
}
