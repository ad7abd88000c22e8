import { z } from 'zod';
import { cameraPatternsSchema, passwordSchema, roleSchema, usernameSchema } from '@vigil/auth';

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
  .object({ count: z.coerce.number().int().min(1).max(1000).default(100), before: z.string().regex(/^\d{1,20}-\d{1,20}$/, 'not a cursor from a previous page').optional() })
  .strict();
