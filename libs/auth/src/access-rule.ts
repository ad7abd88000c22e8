import { SetMetadata } from '@nestjs/common';

/**
 * Who may call a route. Every route declares one: the guard refuses a route that does not (fail closed), and the
 * access-matrix test fails on it.
 * - `public`: anyone (probes, the sign-in itself); reveals nothing.
 * - `viewer`: any signed-in identity, limited to its cameras by the service.
 * - `admin`: admins only.
 * - `metrics`: METRICS_TOKEN when it is set, or an admin.
 */
export type AccessLevel = 'public' | 'viewer' | 'admin' | 'metrics';

export interface AccessRule {
  level: AccessLevel;
  /** a signed link (`?exp=&sig=`, made for webhook receivers) opens it without an identity */
  signedLink?: boolean;
}

export const ACCESS_RULE = 'vigil:access';

export const Access = (level: AccessLevel, options: Omit<AccessRule, 'level'> = {}): MethodDecorator & ClassDecorator =>
  SetMetadata(ACCESS_RULE, { level, ...options } satisfies AccessRule);
