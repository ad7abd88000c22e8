/** One factory makes every Redis client's options: the URL's parts, the shared defaults, the role's name and needs. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '@vigil/config';
import { controlTransport } from '../../libs/platform/src/bootstrap';
import { REDIS_CLIENT_DEFAULTS, redisClientOptions, redisOptionsFromUrl } from '../../libs/redis/src/redis-options';

describe('Redis client options', () => {
  test('a URL gives host, port, credentials, database and TLS', () => {
    assert.deepEqual(redisOptionsFromUrl('rediss://us%3Aer:p%40ss@cache.example:6380/2'), { host: 'cache.example', port: 6380, username: 'us:er', password: 'p@ss', db: 2, tls: {} });
    assert.deepEqual(redisOptionsFromUrl('redis://127.0.0.1'), { host: '127.0.0.1', port: 6379, username: undefined, password: undefined, db: undefined, tls: undefined });
  });

  test('every client gets the defaults and its name; its role may override a default', () => {
    const options = redisClientOptions('redis://:secret@db:7000', 'registry');
    assert.equal(options.maxRetriesPerRequest, REDIS_CLIENT_DEFAULTS.maxRetriesPerRequest);
    assert.equal(options.connectionName, 'vigil:registry');
    assert.equal(options.password, 'secret');
    const probe = redisClientOptions('redis://db:7000', 'health', { maxRetriesPerRequest: 0, enableOfflineQueue: false });
    assert.equal(probe.maxRetriesPerRequest, 0);
    assert.equal(probe.enableOfflineQueue, false);
  });

  // the bug: four places each made their own options, and their defaults had drifted apart
  test("NestJS's control transport is made from the same options, with its own retries", () => {
    const transport = controlTransport(loadConfig({ REDIS_URL: 'redis://user:pw@bus:6390/1' })) as { options: Record<string, unknown> };
    assert.deepEqual(
      { ...transport.options },
      { ...redisClientOptions('redis://user:pw@bus:6390/1', 'control'), retryAttempts: Number.MAX_SAFE_INTEGER, retryDelay: 1000 },
    );
  });
});
