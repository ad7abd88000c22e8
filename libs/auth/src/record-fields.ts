import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/** Ids of tokens and users: 16 lower-case hex characters (8 random bytes), ours, safe in key names and URLs. */
export const RECORD_ID_PATTERN = /^[0-9a-f]{16}$/;
export const recordIdSchema = z.string().regex(RECORD_ID_PATTERN, 'must be 16 lower-case hex characters');

export function newRecordId(): string {
  return randomBytes(8).toString('hex');
}

export const epochMsSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * A name people read (a token's name, an actor's name in the audit log): 1-128 characters, none of them control or
 * format characters, so it cannot break a log line or reverse the text around it in the page (U+202E).
 */
export const displayNameSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+$/u, 'must not contain control or format characters');
