import { maskerFor } from '@vigil/contracts';

export interface WebhookHttpResponse {
  status: number;
}

/** The POST did not get a response: refused, reset, DNS, or the timeout. Always worth a retry. */
export class WebhookTransportError extends Error {
  override name = 'WebhookTransportError';
}

/** Sends webhook requests over Node's fetch; the only place that speaks HTTP for webhooks. */
export class WebhookHttpClient {
  constructor(private readonly userAgent = 'vigil') {}

  async post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<WebhookHttpResponse> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'user-agent': this.userAgent },
        body,
        // A redirect is a failure (the spec's advice): following one would send the signed event somewhere else.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      // undici's messages can name the URL ("Failed to parse URL from ..."), path token and all
      const mask = maskerFor(url, 'endpoint');
      throw new WebhookTransportError(`POST ${mask(url)}: ${mask(describeFetchError(error, timeoutMs))}`);
    }
    // Drain the body so the connection goes back to the pool instead of lingering until GC.
    await response.arrayBuffer().catch(() => undefined);
    return { status: response.status };
  }
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return `no response within ${timeoutMs} ms`;
  // undici hides the useful part (ECONNREFUSED, ECONNRESET) in `cause`.
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message} (${cause})` : err.message;
}
