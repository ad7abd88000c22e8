import type { IncomingHttpHeaders } from 'node:http';

/**
 * Whether a request's Origin may act with the browser's session cookie: the page's own origin (its host, as the
 * Host header names it, which a cross-site page cannot set) or one of ALLOWED_ORIGINS. No Origin means no browser
 * page sent it (browsers send one on every WebSocket and on every cross-site or non-GET fetch).
 */
export function originVerdict(headers: IncomingHttpHeaders, allowed: readonly string[]): 'none' | 'same' | 'allowed' | 'foreign' {
  const origin = single(headers.origin);
  if (origin === undefined) return 'none';
  if (allowed.includes(origin)) return 'allowed';
  let host: string;
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'foreign';
    host = url.host;
  } catch {
    return 'foreign'; // "null" (a sandboxed frame or a file:// page) and anything malformed
  }
  return host === single(headers.host)?.toLowerCase() ? 'same' : 'foreign';
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
