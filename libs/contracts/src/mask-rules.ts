/**
 * What counts as a secret inside a URL. Pure predicates, used by ./mask; the rules are listed in the README
 * ("Masking"). They err on the side of hiding: a readable path hidden by mistake costs a look at the config, a
 * token shown by mistake is a leak.
 */

/** What replaces every secret. */
export const MASK = '***';

/**
 * A query, fragment or `;` parameter whose name, percent-decoded, folded to lower-case ASCII letters and digits,
 * contains one of these holds a credential: `password`, `PassWD`, `%70assword`, `api_key`, `X-Amz-Signature`,
 * `access_token`, `client_secret`, `user`, `authorization`, `sessionid`, ...
 */
const SECRET_NAME_PARTS = ['pass', 'pwd', 'secret', 'token', 'key', 'auth', 'sig', 'cred', 'session', 'sid', 'user', 'login', 'jwt', 'hmac', 'otp', 'bearer', 'cookie', 'private'];

/** After a path segment like these, every later segment is a secret (Discord's /api/webhooks/<id>/<token>, Slack's /services/T/B/<token>). */
const SECRET_PATH_WORDS = new Set(['services', 'token', 'tokens', 'key', 'keys', 'secret', 'secrets', 'apikey', 'api_key', 'api-key']);

/** A parameter name shown as it is next to `=***`; anything else (escapes, unicode) is hidden whole, so no escape can smuggle text out. */
const PLAIN_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Characters that tokens are written in: base64 (url-safe and not), hex, percent-escapes. */
const TOKEN_CHARS = /^[A-Za-z0-9._~+/=%-]+$/;
const RANDOM_MIN_LENGTH = 16;

export function isSecretName(name: string): boolean {
  const folded = fold(name);
  return SECRET_NAME_PARTS.some((part) => folded.includes(part));
}

export function isPlainName(name: string): boolean {
  return PLAIN_NAME.test(name);
}

/** A segment after which the rest of the path is hidden. */
export function isSecretPathWord(segment: string): boolean {
  const folded = decodeLoosely(segment).normalize('NFKC').toLowerCase();
  return folded.includes('hook') || SECRET_PATH_WORDS.has(folded);
}

/**
 * Looks like a generated token: at least 16 characters of TOKEN_CHARS that mix at least two of lower-case letters,
 * upper-case letters and digits. Random base64, hex, UUIDs and stream keys of that length almost always do (a
 * 16-character hex string without a letter or without a digit is about 1 in 2,000); words and plain numbers never
 * do. Names such as `clip-2024-01-01` are hidden too: the price of not guessing.
 */
export function looksRandom(text: string): boolean {
  if (text.length < RANDOM_MIN_LENGTH || !TOKEN_CHARS.test(text)) return false;
  const classes = Number(/[a-z]/.test(text)) + Number(/[A-Z]/.test(text)) + Number(/[0-9]/.test(text));
  return classes >= 2;
}

/** Lower-case ASCII letters and digits only, after undoing percent-escapes (applied twice or three times too) and compatibility forms (full-width letters). */
function fold(name: string): string {
  return decodeLoosely(name)
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/** Undoes `+` and percent-escapes up to three times over; a malformed escape is read byte by byte instead of throwing. */
export function decodeLoosely(text: string): string {
  let current = text;
  for (let round = 0; round < 3 && /%[0-9a-f]{2}|\+/i.test(current); round += 1) {
    current = current.replace(/\+/g, ' ').replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run.replace(/%([0-9a-f]{2})/gi, (_escape, hex: string) => String.fromCharCode(parseInt(hex, 16)));
      }
    });
  }
  return current;
}
