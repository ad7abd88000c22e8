import type Redis from 'ioredis';
import { addressBucket, sha256Text } from '@vigil/auth';
import { authKeys } from '@vigil/contracts';

export interface LimitWindow {
  /** attempts allowed in one window */
  max: number;
  /** how long a window lasts from its first attempt, ms */
  windowMs: number;
}

export interface LoginLimits {
  /** per login name (whether or not such a user exists). @default 10 in 15 minutes */
  perUser: LimitWindow;
  /** per client address (an IPv6 address counts by its /64). @default 100 in 15 minutes */
  perAddress: LimitWindow;
}

export const DEFAULT_LOGIN_LIMITS: Readonly<LoginLimits> = Object.freeze({
  perUser: { max: 10, windowMs: 15 * 60 * 1000 },
  perAddress: { max: 100, windowMs: 15 * 60 * 1000 },
});

export interface LoginAttempt {
  /** the login name as sent (any text: it only names a counter, through its digest) */
  username: string;
  /** the client address, as clientAddress() gives it */
  address: string;
}

export interface LimitDecision {
  allowed: boolean;
  /** when refused: how long until the fullest window ends, ms (for Retry-After) */
  retryAfterMs: number;
}

/** Longest login name that counts apart; longer ones share a counter with their first characters. */
const MAX_NAME_LENGTH = 1024;

/**
 * KEYS: counters; ARGV: max and window of each, in turn. Refuses (returns the wait, ms) when any counter is full;
 * otherwise counts the attempt on every counter and returns 0. A counter found without an expiry, or holding
 * something that is not a count, is started afresh: a planted key must not block a name forever.
 */
const ATTEMPT = `
local wait = 0
for i, key in ipairs(KEYS) do
  local ok, value = pcall(redis.call, 'GET', key)
  local count = ok and tonumber(value or '0') or nil
  if count == nil then redis.call('DEL', key); count = 0 end
  if count >= tonumber(ARGV[2 * i - 1]) then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then ttl = tonumber(ARGV[2 * i]); redis.call('PEXPIRE', key, ttl) end
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('INCR', key)
  if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, ARGV[2 * i]) end
end
return 0`;

/**
 * Fixed-window login limits per name and per address, in Redis so every replica counts together.
 *
 * One call, attempt(), both checks and counts, atomically: with a check before the password and a count after a
 * failure, a burst of parallel guesses would all pass the check before the first failure was counted. So every
 * attempt counts; a successful login then clears its name's counter (reset). The address counter is never given
 * back: otherwise logging in to one's own account between guesses would spray other names from one address forever.
 */
export class LoginLimiter {
  private readonly limits: LoginLimits;

  constructor(
    private readonly redis: Redis,
    limits: Partial<LoginLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LOGIN_LIMITS, ...limits };
  }

  /** Counts an attempt unless a limit is reached; call before checking the password, and refuse when not allowed. */
  async attempt(who: LoginAttempt): Promise<LimitDecision> {
    const { perUser, perAddress } = this.limits;
    const wait = await this.redis.eval(ATTEMPT, 2, userKey(who.username), addressKey(who.address), perUser.max, perUser.windowMs, perAddress.max, perAddress.windowMs);
    const retryAfterMs = Number(wait);
    return { allowed: retryAfterMs === 0, retryAfterMs };
  }

  /** After a successful login (or an admin's unlock): the name's failures are forgotten. */
  async reset(username: string): Promise<void> {
    await this.redis.del(userKey(username));
  }
}

function userKey(username: string): string {
  // lower-cased like usernames are; a digest, so any text names a short, well-formed key
  return authKeys.loginAttempts('user', sha256Text(username.slice(0, MAX_NAME_LENGTH).toLowerCase()));
}

function addressKey(address: string): string {
  return authKeys.loginAttempts('address', sha256Text(addressBucket(address.slice(0, MAX_NAME_LENGTH))));
}
