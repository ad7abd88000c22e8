/**
 * The one place a Redis client's options are made: every connection of vigil (RedisConnections' in the services,
 * the capture child's, NestJS's control transport) starts from these. No Nest imports here: the capture child loads it.
 */
import Redis, { type RedisOptions } from 'ioredis';

/**
 * What every vigil client has unless its role says otherwise.
 * - `maxRetriesPerRequest`: @default 3. A command fails after three reconnect attempts instead of ioredis's 20, so a
 *   caller hears of an outage within seconds (and logs it, counts it, or tries again later) rather than hanging.
 */
export const REDIS_CLIENT_DEFAULTS: Readonly<RedisOptions> = Object.freeze({ maxRetriesPerRequest: 3 });

/** host, port, credentials, database and TLS from a redis:// or rediss:// URL. */
export function redisOptionsFromUrl(url: string): RedisOptions {
  const parsed = new URL(url);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : undefined;
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: Number.isInteger(db) ? db : undefined,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
  };
}

/**
 * A client's options: the URL's, the defaults, its name `vigil:<role>` (CLIENT LIST tells who holds which
 * connection), then what its role needs (`overrides`).
 */
export function redisClientOptions(url: string, role: string, overrides: RedisOptions = {}): RedisOptions {
  return { ...redisOptionsFromUrl(url), ...REDIS_CLIENT_DEFAULTS, connectionName: `vigil:${role}`, ...overrides };
}

/** A new client with redisClientOptions; the caller listens for its errors and closes it. */
export function createRedisClient(url: string, role: string, overrides: RedisOptions = {}): Redis {
  return new Redis(redisClientOptions(url, role, overrides));
}
