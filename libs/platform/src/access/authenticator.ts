import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { bootstrapIdentity, sessionIdentity, tokenIdentity, type Identity } from '@vigil/auth';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { AuthStore } from './auth-store';
import { JwtVerifier } from './jwt-verifier';

/** The session cookie's name. */
export const SESSION_COOKIE = 'vigil_session';
/** An Authorization header longer than this is not looked at. */
const MAX_CREDENTIAL_LENGTH = 8192;

/** Who a request is, and how it proved it: the credential kind matters for the Origin check. */
export type Authentication =
  | { ok: true; identity: Identity; via: 'bearer' | 'cookie' }
  | { ok: false; reason: string; via?: 'bearer' | 'cookie' };

/**
 * Turns the credentials of an HTTP request or a Socket.IO handshake into an identity: `Authorization: Bearer` with
 * ADMIN_TOKEN, an API token, or (with AUTH_JWKS_URL) a JWT; else the session cookie. Every lookup reads Redis, so a
 * revoked token or an ended session stops working at once, on every replica.
 */
@Injectable()
export class Authenticator {
  private readonly adminToken?: Buffer;
  private readonly metricsToken?: Buffer;
  private readonly jwt?: JwtVerifier;

  constructor(
    private readonly store: AuthStore,
    @Inject(VIGIL_CONFIG) config: VigilConfig,
  ) {
    this.adminToken = digestOf(config.auth.adminToken);
    this.metricsToken = digestOf(config.auth.metricsToken);
    this.jwt = config.auth.jwt && new JwtVerifier(config.auth.jwt);
  }

  /** From headers (a request's, or a handshake's) and, for Socket.IO, the handshake's `auth.token`. */
  async authenticate(headers: IncomingHttpHeaders, token?: unknown): Promise<Authentication> {
    const bearer = token !== undefined ? token : bearerOf(headers.authorization);
    if (bearer !== undefined && bearer !== '') {
      if (typeof bearer !== 'string' || bearer.length > MAX_CREDENTIAL_LENGTH) return { ok: false, reason: 'the token is not one vigil issued', via: 'bearer' };
      return this.fromBearer(bearer);
    }
    const session = cookieOf(headers.cookie, SESSION_COOKIE);
    if (session !== undefined) return this.fromSession(session);
    return { ok: false, reason: 'sign in, or send Authorization: Bearer <token>' };
  }

  /** Whether the request carries METRICS_TOKEN (only GET /metrics takes it). */
  isMetricsToken(headers: IncomingHttpHeaders): boolean {
    const bearer = bearerOf(headers.authorization);
    return this.metricsToken !== undefined && typeof bearer === 'string' && same(bearer, this.metricsToken);
  }

  private async fromBearer(bearer: string): Promise<Authentication> {
    if (this.adminToken && same(bearer, this.adminToken)) return { ok: true, identity: bootstrapIdentity(), via: 'bearer' };
    if (bearer.startsWith('vgl_')) {
      const record = await this.store.tokens.verify(bearer);
      return record ? { ok: true, identity: tokenIdentity(record), via: 'bearer' } : { ok: false, reason: 'the token is revoked, expired or unknown', via: 'bearer' };
    }
    if (this.jwt && JwtVerifier.looksLikeJwt(bearer)) {
      const verdict = await this.jwt.verify(bearer);
      return 'error' in verdict ? { ok: false, reason: verdict.error, via: 'bearer' } : { ok: true, identity: verdict, via: 'bearer' };
    }
    return { ok: false, reason: 'the token is not one vigil issued', via: 'bearer' };
  }

  private async fromSession(cookie: string): Promise<Authentication> {
    const session = await this.store.sessions.get(cookie);
    const user = session && (await this.store.users.get(session.userId));
    if (!session || !user) return { ok: false, reason: 'the session has ended: sign in again', via: 'cookie' };
    return { ok: true, identity: sessionIdentity(user, { id: session.id, expiresAt: session.expiresAt }), via: 'cookie' };
  }
}

/** The value of `Authorization: Bearer <value>`; '' for another scheme or none (a header that is there but empty). */
export function bearerOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match ? match[1] : '';
}

/** One cookie's value from a Cookie header, or undefined. */
export function cookieOf(header: string | undefined, name: string): string | undefined {
  if (!header || header.length > MAX_CREDENTIAL_LENGTH) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Compared as SHA-256 digests: equal length whatever was sent, so the comparison is timing-safe. */
function digestOf(secret: string | undefined): Buffer | undefined {
  return secret === undefined ? undefined : createHash('sha256').update(secret, 'utf8').digest();
}

function same(text: string, digest: Buffer): boolean {
  return timingSafeEqual(createHash('sha256').update(text, 'utf8').digest(), digest);
}
