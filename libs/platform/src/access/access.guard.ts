import { CanActivate, ExecutionContext, ForbiddenException, HttpException, HttpStatus, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { verifyLink } from '@vigil/auth';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import type { ApiError } from '../api-error';
import { originVerdict } from '../same-origin';
import { ACCESS_RULE, type AccessRule, type AuthedRequest } from './access';
import { AuthStore } from './auth-store';
import { Authenticator } from './authenticator';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Every HTTP route, every app: the route's declared rule (`@Access`), then the caller's identity, then its role.
 * 401 without credentials (or with ones that do not work), 403 for the wrong role, for a route with no rule, and
 * for a cookie-authenticated write from a foreign Origin (a cross-site request the browser signed for its user).
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: Authenticator,
    private readonly store: AuthStore,
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // Socket.IO checks its handshake itself; control messages come over Redis, which is inside the trust boundary
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [context.getHandler(), context.getClass()]);
    if (!rule) throw new ForbiddenException('this route declares no access rule');
    if (rule.level === 'public') return true;
    if (rule.level === 'metrics' && this.authenticator.isMetricsToken(request.headers)) return true;
    if (rule.signedLink && (request.query.sig !== undefined || request.query.exp !== undefined)) {
      // a link made for a webhook receiver: it works without an account, and a bad one looks like nothing there
      if (verifyLink(request.path, request.query, await this.store.linkKey(), Date.now())) return true;
      throw new NotFoundException('no such link, or it has expired');
    }
    const auth = await this.authenticator.authenticate(request.headers);
    if (!auth.ok) {
      context.switchToHttp().getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer realm="vigil"');
      throw new HttpException({ statusCode: 401, error: 'Unauthorized', message: auth.reason } satisfies ApiError, HttpStatus.UNAUTHORIZED);
    }
    if (auth.via === 'cookie') this.checkOrigin(request);
    if ((rule.level === 'admin' || rule.level === 'metrics') && auth.identity.role !== 'admin') throw new ForbiddenException('this needs an admin');
    request.identity = auth.identity;
    return true;
  }

  /** A browser's cookie rides along on cross-site requests too: only the page's own origin may write with it. */
  private checkOrigin(request: AuthedRequest): void {
    const verdict = originVerdict(request.headers, this.config.auth.allowedOrigins);
    if (verdict === 'foreign' || (verdict === 'none' && !SAFE_METHODS.has(request.method))) {
      throw new ForbiddenException('a request with the session cookie must come from the page itself or an origin in ALLOWED_ORIGINS');
    }
  }
}
