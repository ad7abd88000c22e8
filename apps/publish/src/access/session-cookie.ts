import type { Request, Response } from 'express';
import { SESSION_COOKIE } from '@vigil/platform';

/**
 * The session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it), Path=/, and
 * Secure when the page came over HTTPS (directly, or through a trusted proxy that says so).
 */
export function setSessionCookie(request: Request, response: Response, sessionId: string, maxAgeMs: number, trustProxyHops: number): void {
  response.setHeader('Set-Cookie', cookie(`${SESSION_COOKIE}=${sessionId}`, Math.floor(maxAgeMs / 1000), secure(request, trustProxyHops)));
}

export function clearSessionCookie(request: Request, response: Response, trustProxyHops: number): void {
  response.setHeader('Set-Cookie', cookie(`${SESSION_COOKIE}=`, 0, secure(request, trustProxyHops)));
}

function cookie(pair: string, maxAgeSeconds: number, secure: boolean): string {
  return `${pair}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

function secure(request: Request, trustProxyHops: number): boolean {
  if (request.secure) return true;
  const proto = request.headers['x-forwarded-proto'];
  return trustProxyHops > 0 && typeof proto === 'string' && proto.split(',')[0]!.trim().toLowerCase() === 'https';
}
