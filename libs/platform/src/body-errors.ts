import { STATUS_CODES } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { ApiError } from './api-error';

/**
 * The JSON body parser's refusals (a body over the limit, an unknown charset or content encoding, malformed JSON) in
 * the shape of every other 4xx answer. Left to Nest, all but malformed JSON came without `error`, and each logged a
 * stack trace: anyone could fill the log by posting large bodies.
 */
export function bodyParserErrors(error: unknown, _request: Request, response: Response, next: NextFunction): void {
  const status = clientStatus(error);
  if (status === undefined || response.headersSent) {
    next(error);
    return;
  }
  response.status(status).json({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', message: (error as Error).message } satisfies ApiError);
}

/** The status of a body-parser error meant for the client (http-errors marks those `expose`), else undefined. */
function clientStatus(error: unknown): number | undefined {
  if (!(error instanceof Error)) return undefined;
  const { status, expose, type } = error as Error & { status?: unknown; expose?: unknown; type?: unknown };
  return typeof status === 'number' && status >= 400 && status < 500 && expose === true && typeof type === 'string' ? status : undefined;
}
