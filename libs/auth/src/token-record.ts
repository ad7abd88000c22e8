import { z } from 'zod';
import { cameraPatternsSchema } from './camera-scope';
import { API_TOKEN_PATTERN, hashTokenSecret, newApiToken } from './api-tokens';
import { DIGEST_PATTERN } from './digest';
import { displayNameSchema, epochMsSchema, recordIdSchema } from './record-fields';
import { BOOTSTRAP_ID, roleSchema, type Identity } from './roles';

/** An API token as stored: the secret's SHA-256, never the secret. */
export const tokenRecordSchema = z
  .object({
    id: recordIdSchema,
    name: displayNameSchema,
    role: roleSchema,
    cameras: cameraPatternsSchema.optional(),
    /** epoch ms; absent = does not expire */
    expiresAt: epochMsSchema.optional(),
    createdAt: epochMsSchema,
    secretHash: z.string().regex(DIGEST_PATTERN),
  })
  .strict();
export type TokenRecord = z.infer<typeof tokenRecordSchema>;

/** What `POST /api/tokens` takes. */
export const tokenInputSchema = tokenRecordSchema.pick({ name: true, role: true, cameras: true, expiresAt: true }).strict();
export type TokenInput = z.infer<typeof tokenInputSchema>;

/** A new token: the record to store (with the secret's hash) and the token text to show once. */
export function issueToken(input: TokenInput, now: number): { record: TokenRecord; token: string } {
  if (input.expiresAt !== undefined && input.expiresAt <= now) throw new RangeError(`expiresAt ${input.expiresAt} is not in the future`);
  const { id, secret, token } = newApiToken();
  const record: TokenRecord = { id, ...input, createdAt: now, secretHash: hashTokenSecret(secret) };
  return { record, token };
}

/** What the API shows of a token: no hash. */
export const tokenViewSchema = tokenRecordSchema.omit({ secretHash: true }).extend({ lastUsedAt: epochMsSchema.optional() });
export type TokenView = z.infer<typeof tokenViewSchema>;

/** What `POST /api/tokens` answers: the view and, this once, the token text. */
export const issuedTokenSchema = tokenViewSchema.extend({ token: z.string().regex(API_TOKEN_PATTERN).describe('send as `Authorization: Bearer <token>`; shown only this once') });
export type IssuedToken = z.infer<typeof issuedTokenSchema>;

export function tokenView(record: TokenRecord, lastUsedAt?: number): TokenView {
  const { secretHash: _hidden, ...view } = record;
  return lastUsedAt === undefined ? view : { ...view, lastUsedAt };
}

export function tokenIdentity(record: TokenRecord): Identity {
  return { kind: 'token', id: record.id, name: record.name, role: record.role, cameras: record.cameras, expiresAt: record.expiresAt };
}

/** ADMIN_TOKEN's identity: an admin for every camera. */
export function bootstrapIdentity(): Identity {
  return { kind: 'bootstrap', id: BOOTSTRAP_ID, name: 'ADMIN_TOKEN', role: 'admin' };
}
