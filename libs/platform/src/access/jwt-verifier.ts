import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { auditText, cameraPatternsSchema, roleSchema, type Identity } from '@vigil/auth';
import type { AuthEnv } from '@vigil/config';

/** The algorithms a site's identity provider signs with; `none` and HMAC (a shared secret) are never accepted. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** A JWT in an Authorization header is at most this long: a longer one is not parsed at all. */
const MAX_JWT_LENGTH = 8192;

/**
 * JWTs from the site's identity provider (AUTH_JWKS_URL), checked against its published keys (fetched and cached by
 * jose, refreshed when an unknown key id comes), its `iss` and `aud` when configured, and `exp`, which is required.
 * The role and the camera patterns come from configurable claims and are validated like any input.
 */
export class JwtVerifier {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly settings: NonNullable<AuthEnv['jwt']>) {
    this.keys = createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000 });
  }

  /** Whether text is shaped like a JWT (three base64url parts), so that it is worth verifying. */
  static looksLikeJwt(text: string): boolean {
    return text.length <= MAX_JWT_LENGTH && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(text);
  }

  /** The identity the JWT grants, or why it grants none (never the token itself). */
  async verify(token: string): Promise<Identity | { error: string }> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        algorithms: ALGORITHMS,
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      return { error: `the JWT is not valid (${(error as { code?: string }).code ?? 'unverified'})` };
    }
    const role = roleSchema.safeParse(payload[this.settings.roleClaim]);
    if (!role.success) return { error: `the JWT's ${this.settings.roleClaim} claim is not admin or viewer` };
    const claim = payload[this.settings.camerasClaim];
    const cameras = claim === undefined ? undefined : cameraPatternsSchema.safeParse(claim);
    if (cameras && !cameras.success) return { error: `the JWT's ${this.settings.camerasClaim} claim is not a list of camera patterns` };
    // the subject is the provider's text: shown and audited, so without control characters
    const subject = typeof payload.sub === 'string' && payload.sub.trim() !== '' ? auditText(payload.sub, 128) : 'unnamed';
    return { kind: 'jwt', id: subject, name: subject, role: role.data, cameras: cameras?.data, expiresAt: (payload.exp ?? 0) * 1000 };
  }
}
