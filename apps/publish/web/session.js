// Who is signed in: the session cookie is HttpOnly, so the page asks the server (GET /api/auth/me). Signing in
// and out reload the page, so that every module starts again with the right identity and nothing of the last
// one (tiles, subscriptions, alarms) is left behind.

const TIMEOUT_MS = 5000;

/** The signed-in identity ({ name, role, cameras? }), null when nobody is, or throws when the server cannot say. */
export async function whoAmI() {
  const response = await fetch('api/auth/me', { cache: 'no-store', headers: { accept: 'application/json' }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (response.status === 401) return null;
  if (!response.ok) throw new Error(`GET /api/auth/me: HTTP ${response.status}`);
  const me = await response.json();
  if (!me || typeof me.name !== 'string' || (me.role !== 'admin' && me.role !== 'viewer')) throw new Error('GET /api/auth/me: not an identity');
  return me;
}

/** Signs in; resolves with null on success, or the message to show. */
export async function signIn(username, password) {
  let response;
  try {
    response = await postJson('api/auth/login', { username, password });
  } catch (error) {
    return `Cannot reach the server: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (response.ok) return null;
  return (await messageOf(response)) ?? `Sign-in failed (HTTP ${response.status})`;
}

export async function signOut() {
  await postJson('api/auth/logout', {}).catch(() => undefined);
  location.reload();
}

/** POST with a JSON body (the only kind the API takes). */
export function postJson(path, body) {
  return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(TIMEOUT_MS) });
}

/** The API's error message (`message`, a string or a list), if the answer has one. */
export async function messageOf(response) {
  try {
    const body = await response.json();
    const message = Array.isArray(body?.message) ? body.message.join('; ') : body?.message;
    return typeof message === 'string' && message ? message : undefined;
  } catch {
    return undefined;
  }
}
