import { createHash, timingSafeEqual } from 'node:crypto';

/** A SHA-256 digest as base64url text: always 43 characters. */
export const DIGEST_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function sha256Text(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url');
}

/**
 * Whether `text` hashes to `digest`, in time that does not depend on where they differ. Comparing digests (never
 * the raw texts) also keeps the time independent of the secret's length.
 */
export function digestMatches(text: string, digest: string): boolean {
  if (!DIGEST_PATTERN.test(digest)) return false;
  const expected = Buffer.from(digest, 'base64url');
  const actual = createHash('sha256').update(text, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
