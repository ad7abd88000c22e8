import { hkdfSync } from 'node:crypto';

/** A configured secret shorter than this is refused: it would be guessable offline from one signed value. */
export const MIN_SECRET_BYTES = 16;
const SALT = 'vigil key derivation v1';

/**
 * A 32-byte key for one purpose from a configured secret (HKDF-SHA256). Each purpose gets its own key, so a
 * value signed for one use (a clip link, say) is worthless for another, and the secret itself is never a key.
 */
export function deriveKey(secret: string | Buffer, purpose: string): Buffer {
  const material = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (material.length < MIN_SECRET_BYTES) throw new RangeError(`a secret to derive keys from needs at least ${MIN_SECRET_BYTES} bytes, got ${material.length}`);
  if (purpose.length === 0) throw new RangeError('a derived key needs a purpose');
  return Buffer.from(hkdfSync('sha256', material, SALT, purpose, 32));
}

/** The key that signs links leaving the system (clip and snapshot URLs in webhook bodies). */
export function linkKeyFrom(secret: string | Buffer): Buffer {
  return deriveKey(secret, 'signed links');
}
