import { z } from 'zod';

/**
 * ASCII letters, digits and `. _ @ -`, 1-64 characters, starting with a letter or digit. ASCII only, so a
 * lookalike (Cyrillic `а`, fullwidth `Ａ`, the Kelvin sign that lower-cases to `k`) cannot pose as another user,
 * and lower-casing is the same in every locale.
 */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export const usernameSchema = z.string().regex(USERNAME_PATTERN, 'must be 1-64 ASCII letters, digits, ".", "_", "@" or "-", starting with a letter or digit');

/** What makes two usernames the same user: case does not count. Only for text that passed USERNAME_PATTERN. */
export function usernameKey(username: string): string {
  return username.toLowerCase();
}
