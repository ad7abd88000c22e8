import { z } from 'zod';
import { DIGEST_PATTERN } from './digest';
import { recordIdSchema } from './record-fields';
import type { Identity } from './roles';

/**
 * A credential that stopped working, announced to every replica so they drop its sockets at once: a token
 * (revoked), a session (ended: named by its handle), or a user (deleted, or role, cameras or password changed).
 */
export const revocationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('token'), id: recordIdSchema }).strict(),
  z.object({ kind: z.literal('session'), id: z.string().regex(DIGEST_PATTERN) }).strict(),
  z.object({ kind: z.literal('user'), id: recordIdSchema }).strict(),
]);
export type Revocation = z.infer<typeof revocationSchema>;

/** Whether `revocation` ends what `identity` was granted. */
export function revokes(revocation: Revocation, identity: Identity): boolean {
  switch (revocation.kind) {
    case 'token':
      return identity.kind === 'token' && identity.id === revocation.id;
    case 'session':
      return identity.kind === 'session' && identity.session === revocation.id;
    case 'user':
      return identity.kind === 'session' && identity.id === revocation.id;
  }
}
