import type { Request } from 'express';
import type { Identity } from '@vigil/auth';

export { Access, ACCESS_RULE, type AccessLevel, type AccessRule } from '@vigil/auth';

/** A request the guard let through: with the identity it acts for, or none when a signed link or `public` opened it. */
export interface AuthedRequest extends Request {
  identity?: Identity;
}
