import { randomBytes } from 'node:crypto';

/** A person's sign-in for the web page. */
export interface SignIn {
  username: string;
  password: string;
}

/** A password to sign in with: 18 random bytes, base64url (24 characters). */
export function newPassword(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * Makes sure `account` can sign in to the vigil at `url` with `role`: creates the user, or sets the password of the
 * one that exists (a demo started again, on the same Redis), through the API as its admin.
 */
export async function ensureUser(url: string, adminToken: string, account: SignIn & { role: 'admin' | 'viewer'; cameras?: string[] }): Promise<void> {
  const headers = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
  const created = await fetch(`${url}/api/users`, { method: 'POST', headers, body: JSON.stringify(account) });
  if (created.ok) return;
  if (created.status !== 409) throw new Error(`cannot create user ${account.username}: HTTP ${created.status} ${await created.text()}`);
  const users = (await (await fetch(`${url}/api/users`, { headers })).json()) as { id: string; username: string; role: string; cameras?: string[] }[];
  const user = users.find((entry) => entry.username.toLowerCase() === account.username.toLowerCase());
  if (!user) throw new Error(`user ${account.username} is taken but not listed`);
  const { password, role, cameras } = account;
  // already so: leave it, since a new password would end the sessions it has (another page of the same test)
  const same = user.role === role && JSON.stringify(user.cameras ?? null) === JSON.stringify(cameras ?? null);
  const login = same && (await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: '' }, body: JSON.stringify({ username: account.username, password }) }));
  if (login && login.ok) return;
  const updated = await fetch(`${url}/api/users/${user.id}`, { method: 'PUT', headers, body: JSON.stringify({ password, role, cameras: cameras ?? null }) });
  if (!updated.ok) throw new Error(`cannot update user ${account.username}: HTTP ${updated.status} ${await updated.text()}`);
}
