/** A create that would take a table past its configured size (a 409 or 422 for the API). */
export class AuthStoreFullError extends Error {
  override name = 'AuthStoreFullError';

  constructor(
    readonly table: 'tokens' | 'users',
    readonly max: number,
  ) {
    super(`there are already ${max} ${table} (the most allowed)`);
  }
}

/** Another user has this name, in any case. */
export class UsernameTakenError extends Error {
  override name = 'UsernameTakenError';

  constructor(readonly username: string) {
    super(`the username ${JSON.stringify(username)} is taken`);
  }
}
