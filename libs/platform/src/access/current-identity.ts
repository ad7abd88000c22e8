import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { CameraScope, type Identity } from '@vigil/auth';
import type { AuthedRequest } from './access';

/** The identity the guard found (a `viewer` or `admin` route always has one). */
export const CurrentIdentity = createParamDecorator((_: unknown, context: ExecutionContext): Identity | undefined => context.switchToHttp().getRequest<AuthedRequest>().identity);

/** The cameras a caller may see: every camera for a signed link (it names one resource) or a route without identity. */
export const CurrentScope = createParamDecorator((_: unknown, context: ExecutionContext): CameraScope => {
  const identity = context.switchToHttp().getRequest<AuthedRequest>().identity;
  return new CameraScope(identity?.cameras);
});
