import { z } from 'zod';
import { DIGEST_PATTERN } from './digest';
import { epochMsSchema, recordIdSchema } from './record-fields';

/** A login session as stored, under its handle (the session id's SHA-256); the session id itself is never stored. */
export const sessionRecordSchema = z
  .object({
    /** the handle: what the key is named by and what a revocation names */
    id: z.string().regex(DIGEST_PATTERN),
    userId: recordIdSchema,
    createdAt: epochMsSchema,
    expiresAt: epochMsSchema,
  })
  .strict();
export type SessionRecord = z.infer<typeof sessionRecordSchema>;
