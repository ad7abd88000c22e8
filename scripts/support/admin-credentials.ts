import { randomBytes } from 'node:crypto';

/** base URL of a started vigil -> its ADMIN_TOKEN */
const tokens = new Map<string, string>();
let installed = false;

/** A fresh ADMIN_TOKEN: 32 random bytes, base64url. */
export function newAdminToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The admin token of the vigil at `url` (its base or any URL under it), if this process started it. */
export function adminTokenFor(url: string): string | undefined {
  for (const [base, token] of tokens) if (url === base || url.startsWith(`${base}/`) || url.startsWith(`${base}?`)) return token;
  return undefined;
}

/**
 * Makes this process's `fetch` act as the admin of the vigil at `base`: a request to it without an Authorization
 * header gets the admin's bearer token. Tests, the demo's checks and the bench talk to vigil as its operator would;
 * a test of access control sends its own Authorization header (an empty one for none at all) and is left alone.
 */
export function actAsAdmin(base: string, token: string): void {
  tokens.set(base, token);
  if (installed) return;
  installed = true;
  const original = globalThis.fetch;
  globalThis.fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input);
    const token = adminTokenFor(url);
    if (token === undefined) return original(input, init);
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    if (!headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
    return original(input, { ...init, headers });
  };
}
