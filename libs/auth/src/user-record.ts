import { z } from 'zod';
import { cameraPatternsSchema } from './camera-scope';
import { isPasswordHash } from './passwords';
import { epochMsSchema, newRecordId, recordIdSchema } from './record-fields';
import { roleSchema, type Identity } from './roles';
import { usernameSchema } from './usernames';

/** A person's account as stored. The password hash's parameters are checked too: a planted one must not cost minutes. */
export const userRecordSchema = z
  .object({
    id: recordIdSchema,
    username: usernameSchema,
    role: roleSchema,
    cameras: cameraPatternsSchema.optional(),
    passwordHash: z.string().refine(isPasswordHash, 'not a password hash this version accepts'),
    createdAt: epochMsSchema,
    updatedAt: epochMsSchema,
  })
  .strict();
export type UserRecord = z.infer<typeof userRecordSchema>;

/** A new user's record; `passwordHash` comes from hashPassword. */
export function newUserRecord(input: Pick<UserRecord, 'username' | 'role' | 'cameras'>, passwordHash: string, now: number): UserRecord {
  const record: UserRecord = { id: newRecordId(), username: input.username, role: input.role, passwordHash, createdAt: now, updatedAt: now };
  return input.cameras === undefined ? record : { ...record, cameras: input.cameras };
}

/** What the API shows of a user: no password hash. */
export const userViewSchema = userRecordSchema.omit({ passwordHash: true });
export type UserView = z.infer<typeof userViewSchema>;

export function userView(record: UserRecord): UserView {
  const { passwordHash: _hidden, ...view } = record;
  return view;
}

/** The identity of a request that carries `session` (its handle) of `user`. */
export function sessionIdentity(user: UserRecord, session: { id: string; expiresAt: number }): Identity {
  return { kind: 'session', id: user.id, name: user.username, role: user.role, cameras: user.cameras, expiresAt: session.expiresAt, session: session.id };
}
