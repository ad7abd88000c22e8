import type { NextFunction, Request, Response } from 'express';
import type { ApiError } from './api-error';

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Writes take JSON only. A form or text/plain body is what another site's page can send through a signed-in
 * browser without asking (a "simple" request, no CORS preflight); `application/json` cannot be sent cross-site
 * without a preflight, which vigil never answers. So anything else with a body is a 415, before it is parsed.
 */
export function jsonOnly(request: Request, response: Response, next: NextFunction): void {
  if (!WITH_BODY.has(request.method) || !hasBody(request) || isJson(request.headers['content-type'])) {
    next();
    return;
  }
  response.status(415).json({ statusCode: 415, error: 'Unsupported Media Type', message: 'the body must be JSON (Content-Type: application/json)' } satisfies ApiError);
}

function hasBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** `application/json`, with parameters (charset) or not; no `+json` variants, which no vigil client sends. */
export function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/json\s*(;|$)/i.test(contentType.trim());
}
