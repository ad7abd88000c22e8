import { z } from 'zod';
import { AUDIT_ID_PATTERN, cameraPatternsSchema, IDENTITY_KINDS, passwordSchema, roleSchema, usernameSchema } from '@vigil/auth';

/** POST /api/auth/login: bounded before anything is hashed or looked up. */
export const loginSchema = z.object({ username: z.string().min(1).max(128), password: z.string().min(1).max(1024) }).strict();

/** POST /api/users */
export const newUserSchema = z.object({ username: usernameSchema, password: passwordSchema, role: roleSchema, cameras: cameraPatternsSchema.optional() }).strict();

/** PUT /api/users/:id: what changes; `cameras: null` lifts the camera limit */
export const userChangesSchema = z
  .object({ password: passwordSchema.optional(), role: roleSchema.optional(), cameras: cameraPatternsSchema.nullable().optional() })
  .strict()
  .refine((changes) => Object.keys(changes).length > 0, 'name at least one of password, role, cameras');

/** GET /api/audit */
export const auditQuerySchema = z
  .object({ count: z.coerce.number().int().min(1).max(1000).default(100), before: z.string().regex(AUDIT_ID_PATTERN, 'not a cursor from a previous page').optional() })
  .strict();

/** What GET /api/auth/me shows: who, with which role and cameras; never a credential. */
export const meSchema = z
  .object({
    kind: z.enum(IDENTITY_KINDS).describe('how the caller proved who they are: ADMIN_TOKEN (`bootstrap`), an API token, a session, a JWT'),
    id: z.string().describe("token id, user id, the JWT's subject, or `admin-token`"),
    name: z.string(),
    role: roleSchema,
    cameras: z.array(z.string()).readonly().optional().describe('camera id patterns this identity is limited to; absent = every camera'),
    expiresAt: z.number().nonnegative().optional().describe('epoch ms when the credential stops working'),
  })
  .strict();
export type Me = z.infer<typeof meSchema>;
