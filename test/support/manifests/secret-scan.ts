/** The placeholder the deployment files use where an operator must put a secret of their own. */
export const PLACEHOLDER = 'CHANGE-ME';

const CLASSES = [/[A-Z]/, /[a-z]/, /\d/];

/**
 * Strings in `text` that look like a real secret: 32 or more hex digits, a token of 16 or more letters and digits
 * mixing upper case, lower case and digits the way random ones do (words and names switch rarely between them), or
 * the password of a `scheme://user:password@` URL that is neither the placeholder nor a variable reference.
 */
export function realLookingSecrets(text: string): string[] {
  const found: string[] = [];
  for (const [hex] of text.matchAll(/(?<![0-9A-Za-z])[0-9a-f]{32,}(?![0-9A-Za-z])/gi)) {
    if (/\d/.test(hex) && /[a-f]/i.test(hex)) found.push(hex);
  }
  for (const [token] of text.matchAll(/[A-Za-z0-9+/_~-]{16,}={0,2}/g)) {
    const characters = token.replace(/[^A-Za-z0-9]/g, '');
    if (characters.length >= 16 && CLASSES.every((kind) => kind.test(characters)) && classSwitches(characters) / characters.length >= 0.3) found.push(token);
  }
  for (const [, password] of text.matchAll(/[a-z][a-z0-9+.-]*:\/\/[^\s/:@'"]*:([^\s/@'"]+)@/gi)) {
    if (password !== PLACEHOLDER && !password.startsWith('$')) found.push(password!);
  }
  return found;
}

function classSwitches(characters: string): number {
  const kind = (c: string) => CLASSES.findIndex((pattern) => pattern.test(c));
  let switches = 0;
  for (let i = 1; i < characters.length; i += 1) if (kind(characters[i]!) !== kind(characters[i - 1]!)) switches += 1;
  return switches;
}
