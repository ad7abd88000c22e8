/**
 * Secrets out of everything vigil shows: API responses, log lines, error messages, status reasons, metrics. One
 * function per kind of text:
 * - maskUrl: a field that holds one URL (a camera's, an egress target's, a broker's);
 * - maskText: free text that may hold URLs anywhere (errors, ffmpeg and GStreamer output, pipelines, log lines);
 * - maskEndpointUrl: a webhook URL, whose path is itself the credential;
 * - maskerFor: text from a child process or a server that was handed one known URL, which may echo parts of it.
 * The rules (README "Masking") work on the text, not through `new URL()`: text that is not a valid URL must be
 * masked too, and where a URL cannot be taken apart for sure, all of it after the scheme is hidden.
 */
import { decodeLoosely, isPlainName, isSecretName, isSecretPathWord, looksRandom, MASK } from './mask-rules';

export { MASK } from './mask-rules';

const SCHEME_AT_START = /^[a-z][a-z0-9+.-]*:\/\//i;
/** What may stand between the userinfo and the path: a host or [IPv6] literal and an optional numeric port. */
const HOST_PORT = /^(?:\[[^\]/?#@]*\]|[^[\]:/?#@]*)(?::\d*)?$/;
/** Punctuation that ends a URL in prose, a quoted pipeline value or JSON: kept, not read as part of the URL. */
const TRAILING = new Set([...'"\'`)]}>,.;:!']);
/** RTMP and its variants (rtmps, rtmpt, rtmpe, rtmpte, rtmpts): the path after the application is the stream key. */
const RTMP = /^rtmp[a-z]*$/;
/** Secrets shorter than this are not searched for in free text: they would match ordinary words. */
const MIN_REDACTED_LENGTH = 4;

type Kind = 'url' | 'endpoint';
/** Called with each piece of text a mask hides. */
type Hidden = (secret: string) => void;
const ignore: Hidden = () => undefined;

/** One URL (the whole string, whitespace and all) with its secrets replaced by `***`; text that is not a URL goes through maskText. */
export function maskUrl(url: string): string {
  return SCHEME_AT_START.test(url) ? maskOne(url, 'url', ignore) : maskText(url);
}

/**
 * A webhook (or other capability) URL: whoever knows it can post, so only its scheme, host and port are shown and
 * user info, path, query and fragment become `***`. Endpoints are told apart by their id.
 */
export function maskEndpointUrl(url: string): string {
  return SCHEME_AT_START.test(url) ? maskOne(url, 'endpoint', ignore) : MASK;
}

/** Every URL in a text masked as maskUrl does; a URL ends at whitespace or where the next one starts. Linear in the text's length. */
export function maskText(text: string): string {
  const starts = schemeStarts(text);
  let out = '';
  let done = 0;
  let next = 0;
  while (next < starts.length) {
    const start = starts[next]!;
    // the authority runs to the first "/" or whitespace; a scheme inside it ("rtsp://u:a://b@h/") is part of a password
    let end = text.indexOf('://', start) + 3;
    while (end < text.length && text[end] !== '/' && !isSpace(text[end]!)) end += 1;
    while (next < starts.length && starts[next]! < end) next += 1;
    const limit = next < starts.length ? starts[next]! : text.length;
    while (end < limit && !isSpace(text[end]!)) end += 1;
    const url = text.slice(start, end);
    const kept = withoutTrailing(url);
    out += text.slice(done, start) + maskOne(kept, 'url', ignore) + url.slice(kept.length);
    done = end;
  }
  return out + text.slice(done);
}

/** @deprecated the older name of maskText, kept for existing callers */
export const maskCredentials = maskText;

/**
 * A mask for text that may echo one known URL or parts of it (ffmpeg's and GStreamer's errors, a fetch error): the
 * URL itself is replaced by its masked form, every URL in the text is masked, and then every secret the URL holds
 * (password, token, stream key, in raw and percent-decoded form) is replaced wherever it still appears.
 */
export function maskerFor(url: string, kind: Kind = 'url'): (text: string) => string {
  const masked = kind === 'endpoint' ? maskEndpointUrl(url) : maskUrl(url);
  const secrets = secretsOf(url, kind);
  return (text) => {
    let out = url && text.includes(url) ? text.split(url).join(masked) : text;
    out = maskText(out);
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
    return out;
  };
}

/** What the masks of one URL hide, in the forms it may be echoed in; longest first, so a secret inside another goes second. */
export function secretsOf(url: string, kind: Kind = 'url'): string[] {
  const found = new Set<string>();
  const hidden: Hidden = (secret) => {
    for (const form of [secret, decodeLoosely(secret), decodeLoosely(secret.replace(/\+/g, '%2B'))]) {
      if (form.length >= MIN_REDACTED_LENGTH && form !== MASK) found.add(form);
    }
  };
  // the normalised form too: vigil hands sources to GStreamer as `new URL(url).toString()` (an "@" becomes %40)
  const forms = URL.canParse(url) ? [url, new URL(url).toString()] : [url];
  for (const form of forms) if (SCHEME_AT_START.test(form)) maskOne(form, kind, hidden);
  return [...found].sort((a, b) => b.length - a.length);
}

/**
 * Where each `scheme://` in the text starts. Found from the "://" backwards rather than by a regular expression,
 * which would rescan a long run of letters from each of them: that made a 90 KB password take seconds.
 */
function schemeStarts(text: string): number[] {
  const starts: number[] = [];
  for (let colon = text.indexOf('://'); colon >= 0; colon = text.indexOf('://', colon + 3)) {
    let start = colon;
    while (start > 0 && /[a-z0-9+.-]/i.test(text[start - 1]!)) start -= 1;
    // a scheme starts with a letter: "2rtsp://" is "rtsp://" after a digit
    while (start < colon && !/[a-z]/i.test(text[start]!)) start += 1;
    if (start < colon) starts.push(start);
  }
  return starts;
}

function isSpace(character: string): boolean {
  return /\s/.test(character);
}

function withoutTrailing(url: string): string {
  let end = url.length;
  while (end > 0 && TRAILING.has(url[end - 1]!)) end -= 1;
  return url.slice(0, end);
}

function maskOne(url: string, kind: Kind, hidden: Hidden): string {
  const scheme = SCHEME_AT_START.exec(url)![0];
  const name = scheme.slice(0, -3).toLowerCase();
  let rest = url.slice(scheme.length);
  // the user info runs to the LAST "@" before the first "/": "@", "?" and "#" in a password are common enough
  const slash = rest.indexOf('/');
  const at = (slash < 0 ? rest : rest.slice(0, slash)).lastIndexOf('@');
  let userinfo = '';
  if (at >= 0) {
    userinfo = `${maskUserinfo(rest.slice(0, at), kind, hidden)}@`;
    rest = rest.slice(at + 1);
  }
  const hostEnd = indexOfAny(rest, '/?#');
  const host = rest.slice(0, hostEnd);
  if (!HOST_PORT.test(host)) {
    // e.g. a raw "/" in a password left "user:pa" where the host should be: nothing here can be told apart
    hidden(url.slice(scheme.length));
    return `${scheme}${MASK}`;
  }
  const tail = rest.slice(hostEnd);
  if (kind === 'endpoint') return `${scheme}${userinfo}${host}${maskWhole(tail, hidden)}`;
  const queryAt = indexOfAny(tail, '?#');
  return `${scheme}${userinfo}${host}${maskPath(name, tail.slice(0, queryAt), hidden)}${maskQueryAndFragment(name, tail.slice(queryAt), hidden)}`;
}

function maskUserinfo(userinfo: string, kind: Kind, hidden: Hidden): string {
  const colon = userinfo.indexOf(':');
  if (colon < 0 || kind === 'endpoint') {
    // a lone user part is often a token (https://TOKEN@host); an endpoint's user is as secret as its path
    hidden(userinfo);
    return MASK;
  }
  hidden(userinfo.slice(colon + 1));
  return `${userinfo.slice(0, colon)}:${MASK}`;
}

/** An endpoint's path, query and fragment: `/***` when there is anything past the root. */
function maskWhole(tail: string, hidden: Hidden): string {
  if (tail === '' || tail === '/') return tail;
  hidden(tail);
  // its pieces too, in case one is echoed alone; plain words (services, api, hooks) would only blot out text
  for (const piece of tail.split(/[/?#&;=]/)) if (!/^[a-z]*$/i.test(piece)) hidden(piece);
  return `/${MASK}`;
}

function maskPath(scheme: string, path: string, hidden: Hidden): string {
  // a file path holds no credential, and people need to see which file it is
  if (path === '' || scheme === 'file') return path;
  const segments = path.split('/');
  // rtmp://host/app/KEY: the stream key is all of the path after the application
  const keep = RTMP.test(scheme) ? segments.findIndex((segment, i) => i > 0 && segment !== '') : segments.findIndex(isSecretPathWord);
  const shown = keep < 0 ? segments : segments.slice(0, keep + 1);
  const head = shown.map((segment) => (segment === '' ? segment : maskSegment(segment, hidden))).join('/');
  const rest = keep < 0 ? [] : segments.slice(keep + 1);
  if (!rest.some((segment) => segment !== '')) return head + rest.map(() => '/').join('');
  hidden(rest.join('/'));
  for (const segment of rest) hidden(segment);
  return `${head}/${MASK}`;
}

/** One path segment: a random-looking name goes, and so do credentials in `name;k=v` or `user=a&password=b` forms. */
function maskSegment(segment: string, hidden: Hidden): string {
  const [name = '', ...params] = segment.split(';');
  const shown = name.includes('=') ? maskParams(name, hidden) : maskBare(name, hidden);
  return [shown, ...params.map((param) => maskParam(param, hidden))].join(';');
}

function maskQueryAndFragment(scheme: string, text: string, hidden: Hidden): string {
  if (text === '') return text;
  const hash = text.indexOf('#');
  const query = hash < 0 ? text : text.slice(0, hash);
  const fragment = hash < 0 ? '' : text.slice(hash);
  // an RTMP stream key often carries its own parameters (Facebook's ?s_bl=1&s_sc=...&a=...): hidden whole
  const part = (marked: string): string => {
    if (marked.length <= 1) return marked;
    if (!RTMP.test(scheme)) return marked[0] + maskParams(marked.slice(1), hidden);
    hidden(marked.slice(1));
    return `${marked[0]}${MASK}`;
  };
  return part(query) + part(fragment);
}

/** `a=1&b=2;c=3`: each parameter on its own, the separators kept. */
function maskParams(text: string, hidden: Hidden): string {
  return text
    .split(/([&;])/)
    .map((piece, i) => (i % 2 === 1 ? piece : maskParam(piece, hidden)))
    .join('');
}

function maskParam(param: string, hidden: Hidden): string {
  const eq = param.indexOf('=');
  if (eq < 0) return maskBare(param, hidden);
  const name = param.slice(0, eq);
  const value = param.slice(eq + 1);
  if (looksRandom(name)) {
    hidden(param);
    return MASK;
  }
  if (isSecretName(name)) {
    hidden(value);
    if (isPlainName(name)) return `${name}=${MASK}`;
    hidden(param);
    return MASK;
  }
  // a URL in a value (a redirect target) may carry credentials of its own: not worth telling apart
  if (looksRandom(value) || /:\/\/|%3a%2f%2f/i.test(value)) {
    hidden(value);
    return `${name}=${MASK}`;
  }
  return param;
}

function maskBare(text: string, hidden: Hidden): string {
  if (!looksRandom(text)) return text;
  hidden(text);
  return MASK;
}

function indexOfAny(text: string, characters: string): number {
  for (let i = 0; i < text.length; i += 1) if (characters.includes(text[i]!)) return i;
  return text.length;
}
