import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { z } from 'zod';

/**
 * Passwords are hashed with scrypt and stored as `scrypt$<N>$<r>$<p>$<salt>$<hash>` (salt and hash base64url), so
 * a hash made with other parameters still verifies after the defaults change (see `needsRehash`).
 */
export interface ScryptParams {
  /** CPU and memory cost, a power of two */
  N: number;
  /** block size */
  r: number;
  /** parallelism (run one after the other by Node, so it multiplies time, not memory) */
  p: number;
}

/**
 * 2^15 x 8 x 1: 32 MiB per check. On the 2-core machine we size for (bench/password-hash.ts, with other work
 * running) one check took about 170 ms and four at once about 400 ms; 2^14 took about 35 ms, 2^16 about 400 ms.
 * Stronger settings would let a burst of logins take the cores from the video pipeline; the login limiter bounds
 * how many guesses the cost has to hold out against.
 */
export const DEFAULT_SCRYPT: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 15, r: 8, p: 1 });

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 1024;
export const passwordSchema = z.string().min(PASSWORD_MIN_LENGTH).max(PASSWORD_MAX_LENGTH);

/**
 * What a stored hash may ask for. A record planted in Redis must not make one login take minutes or gigabytes:
 * memory (128 x N x r) and work (N x r x p) are capped, and so is everything else in the text.
 */
const BOUNDS = {
  logN: { min: 14, max: 17 },
  r: { min: 8, max: 16 },
  p: { min: 1, max: 4 },
  memoryBytes: 64 * 1024 * 1024,
  work: 2 ** 15 * 8 * 4,
  saltBytes: { min: 16, max: 64 },
  hashBytes: { min: 32, max: 64 },
};
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const STORED_PATTERN = /^scrypt\$(\d{1,7})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]{22,86})\$([A-Za-z0-9_-]{43,86})$/;
const MAX_STORED_LENGTH = 200;

interface StoredHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

/** Throws RangeError for a password outside the bounds (the API's schema refuses those first). */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  if (!withinBounds(password)) throw new RangeError(`a password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`);
  if (!paramsAllowed(params)) throw new RangeError(`scrypt parameters ${JSON.stringify(params)} are outside what verification accepts`);
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, HASH_BYTES, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/** False for a wrong password, a password outside the bounds, and a stored hash that is malformed or absurd. */
export async function verifyPassword(password: unknown, stored: string): Promise<boolean> {
  const parsed = parseStoredHash(stored);
  if (typeof password !== 'string' || !withinBounds(password) || !parsed) return false;
  const actual = await derive(password, parsed.salt, parsed.hash.length, parsed.params);
  return timingSafeEqual(actual, parsed.hash);
}

/**
 * The same work as checking a real user's password, for a login name that has no user: the answer then takes as
 * long whether the user exists or not. Always false.
 */
export async function dummyVerify(password: unknown): Promise<false> {
  await verifyPassword(typeof password === 'string' && withinBounds(password) ? password : 'not a password', DUMMY_HASH);
  return false;
}

/** Whether the stored hash used parameters other than `params` (hash the password again after a login). */
export function needsRehash(stored: string, params: ScryptParams = DEFAULT_SCRYPT): boolean {
  const parsed = parseStoredHash(stored);
  return !parsed || parsed.params.N !== params.N || parsed.params.r !== params.r || parsed.params.p !== params.p || parsed.hash.length !== HASH_BYTES;
}

/** Whether `stored` is a hash that verification would use (for checking records read back from Redis). */
export function isPasswordHash(stored: unknown): boolean {
  return typeof stored === 'string' && parseStoredHash(stored) !== undefined;
}

function parseStoredHash(stored: string): StoredHash | undefined {
  if (stored.length > MAX_STORED_LENGTH) return undefined;
  const match = STORED_PATTERN.exec(stored);
  if (!match) return undefined;
  const params = { N: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  const salt = Buffer.from(match[4]!, 'base64url');
  const hash = Buffer.from(match[5]!, 'base64url');
  if (!paramsAllowed(params) || !between(salt.length, BOUNDS.saltBytes) || !between(hash.length, BOUNDS.hashBytes)) return undefined;
  return { params, salt, hash };
}

function paramsAllowed({ N, r, p }: ScryptParams): boolean {
  const logN = Math.log2(N);
  return (
    Number.isInteger(logN) &&
    between(logN, BOUNDS.logN) &&
    Number.isInteger(r) &&
    between(r, BOUNDS.r) &&
    Number.isInteger(p) &&
    between(p, BOUNDS.p) &&
    memoryOf({ N, r }) <= BOUNDS.memoryBytes &&
    N * r * p <= BOUNDS.work
  );
}

function withinBounds(password: string): boolean {
  return password.length >= PASSWORD_MIN_LENGTH && password.length <= PASSWORD_MAX_LENGTH;
}

function derive(password: string, salt: Buffer, length: number, { N, r, p }: ScryptParams): Promise<Buffer> {
  // NFKC, as NIST SP 800-63B advises: the same password typed on another keyboard may arrive composed differently.
  const text = password.normalize('NFKC');
  // Node refuses anything over maxmem (32 MiB by default, just short of 2^15 x 8); allow what these parameters need.
  const options: ScryptOptions = { N, r, p, maxmem: memoryOf({ N, r }) + 1024 * 1024 };
  return new Promise((resolve, reject) => scrypt(text, salt, length, options, (error, key) => (error ? reject(error) : resolve(key))));
}

function memoryOf({ N, r }: Pick<ScryptParams, 'N' | 'r'>): number {
  return 128 * N * r;
}

function between(value: number, { min, max }: { min: number; max: number }): boolean {
  return value >= min && value <= max;
}

/** A well-formed hash with the default parameters that no password produces (its hash bytes are all zero). */
const DUMMY_HASH = `scrypt$${DEFAULT_SCRYPT.N}$${DEFAULT_SCRYPT.r}$${DEFAULT_SCRYPT.p}$${Buffer.alloc(SALT_BYTES).toString('base64url')}$${Buffer.alloc(HASH_BYTES).toString('base64url')}`;
