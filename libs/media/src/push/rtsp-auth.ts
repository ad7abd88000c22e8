import { createHash, randomBytes } from 'node:crypto';
import type { RtspCredentials } from './rtsp-target';

/** One challenge of a WWW-Authenticate header: `Digest realm="x", nonce="y"` is { scheme: 'digest', params: { realm, nonce } }. */
export interface Challenge {
  /** lower-case */
  scheme: string;
  /** names lower-case, values unquoted */
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

/**
 * The challenges in WWW-Authenticate values (RFC 7235 §4.1): one header may hold several, separated by commas, and
 * a server may send several headers. A value that cannot be read ends its header's list there.
 */
export function parseChallenges(values: readonly string[]): Challenge[] {
  return values.flatMap(challengesIn);
}

function challengesIn(value: string): Challenge[] {
  const challenges: Challenge[] = [];
  let rest = value;
  const skip = (pattern: RegExp) => (rest = rest.replace(pattern, ''));
  for (;;) {
    skip(/^[\s,]+/);
    const scheme = TOKEN.exec(rest)?.[0];
    if (!scheme) return challenges;
    rest = rest.slice(scheme.length);
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    for (;;) {
      skip(/^[\s,]+/);
      const param = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*/.exec(rest);
      // a token not followed by "=" starts the next challenge
      if (!param) break;
      rest = rest.slice(param[0].length);
      const value = rest.startsWith('"') ? quoted() : token();
      if (value === undefined) return challenges;
      challenge.params[param[1]!.toLowerCase()] = value;
    }
  }

  function token(): string | undefined {
    const found = TOKEN.exec(rest)?.[0];
    if (found !== undefined) rest = rest.slice(found.length);
    return found;
  }

  /** A quoted string at the start of `rest`, unescaped and consumed; undefined when it never closes. */
  function quoted(): string | undefined {
    const match = /^"((?:[^"\\]|\\.)*)"/s.exec(rest);
    if (!match) return undefined;
    rest = rest.slice(match[0].length);
    return match[1]!.replace(/\\(.)/gs, '$1');
  }
}

/** Makes the Authorization header of each request once a server has challenged us. */
export interface Authorizer {
  /** 'Digest' or 'Basic', for messages */
  readonly scheme: string;
  /** the nonce a Digest authorizer answers, to tell a fresh challenge from a refusal */
  readonly nonce?: string;
  header(method: string, uri: string): string;
}

/** Digest algorithms we answer, strongest first (RFC 7616 §3.3: prefer SHA-256 where a server offers both). */
const DIGEST_HASHES: Record<string, { hash: 'sha256' | 'md5'; session: boolean }> = {
  'sha-256': { hash: 'sha256', session: false },
  'sha-256-sess': { hash: 'sha256', session: true },
  md5: { hash: 'md5', session: false },
  'md5-sess': { hash: 'md5', session: true },
};
const PREFERENCE = ['sha-256', 'sha-256-sess', 'md5', 'md5-sess'];

/**
 * The challenge to answer: Digest (the password never crosses the wire) before Basic, among Digests the strongest
 * algorithm; undefined when none is one we can answer (an unknown scheme or algorithm, qop=auth-int only).
 */
export function pickChallenge(challenges: readonly Challenge[]): Challenge | undefined {
  const digests = challenges.filter((challenge) => challenge.scheme === 'digest' && answerable(challenge));
  const rank = (challenge: Challenge) => PREFERENCE.indexOf((challenge.params.algorithm ?? 'md5').toLowerCase());
  const best = digests.sort((a, b) => rank(a) - rank(b))[0];
  return best ?? challenges.find((challenge) => challenge.scheme === 'basic');
}

function answerable(challenge: Challenge): boolean {
  const { nonce, realm, algorithm = 'md5', qop } = challenge.params;
  if (nonce === undefined || realm === undefined || !(algorithm.toLowerCase() in DIGEST_HASHES)) return false;
  return qop === undefined || qopList(qop).includes('auth');
}

function qopList(qop: string): string[] {
  return qop.split(',').map((option) => option.trim().toLowerCase());
}

export interface AuthorizerOptions {
  /** a fresh client nonce per request; random unless a test pins it */
  cnonce?: () => string;
}

/** An Authorizer for a challenge pickChallenge chose. */
export function authorizerFor(challenge: Challenge, credentials: RtspCredentials, options: AuthorizerOptions = {}): Authorizer {
  if (challenge.scheme === 'basic') {
    const token = Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64');
    return { scheme: 'Basic', header: () => `Basic ${token}` };
  }
  return new DigestAuthorizer(challenge.params, credentials, options.cnonce ?? (() => randomBytes(16).toString('hex')));
}

/**
 * RFC 2617 / RFC 7616 Digest: with qop=auth when the server offers it (a nonce count and a client nonce in every
 * response), in the RFC 2069 form (no qop) when it does not, as gst-rtsp-server and many cameras do.
 */
class DigestAuthorizer implements Authorizer {
  readonly scheme = 'Digest';
  readonly nonce: string;
  private count = 0;
  private readonly hash: 'sha256' | 'md5';
  private readonly session: boolean;
  private readonly qop: boolean;

  constructor(private readonly params: Record<string, string>, private readonly credentials: RtspCredentials, private readonly cnonce: () => string) {
    this.nonce = params.nonce!;
    const algorithm = DIGEST_HASHES[(params.algorithm ?? 'md5').toLowerCase()]!;
    this.hash = algorithm.hash;
    this.session = algorithm.session;
    this.qop = params.qop !== undefined;
  }

  header(method: string, uri: string): string {
    const { realm = '', opaque, algorithm } = this.params;
    const h = (text: string) => createHash(this.hash).update(text, 'utf8').digest('hex');
    const cnonce = this.cnonce();
    // the nonce count tells the server this is not a replay: one more for every request under this nonce
    this.count += 1;
    const nc = this.count.toString(16).padStart(8, '0');
    let ha1 = h(`${this.credentials.username}:${realm}:${this.credentials.password}`);
    if (this.session) ha1 = h(`${ha1}:${this.nonce}:${cnonce}`);
    const ha2 = h(`${method}:${uri}`);
    const response = this.qop ? h(`${ha1}:${this.nonce}:${nc}:${cnonce}:auth:${ha2}`) : h(`${ha1}:${this.nonce}:${ha2}`);
    const fields = [
      `username=${quote(this.credentials.username)}`, `realm=${quote(realm)}`, `nonce=${quote(this.nonce)}`, `uri=${quote(uri)}`, `response=${quote(response)}`,
      ...(algorithm === undefined ? [] : [`algorithm=${algorithm}`]),
      ...(opaque === undefined ? [] : [`opaque=${quote(opaque)}`]),
      ...(this.qop ? ['qop=auth', `nc=${nc}`, `cnonce=${quote(cnonce)}`] : []),
    ];
    return `Digest ${fields.join(', ')}`;
  }
}

function quote(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}
