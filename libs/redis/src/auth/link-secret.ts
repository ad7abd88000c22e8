import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import { authKeys } from '@vigil/contracts';

/**
 * The random secret signed links are made with, kept in Redis: the first replica that needs it makes it (SET NX),
 * so every replica signs and checks alike without one more secret to configure.
 */
export class LinkSecret {
  constructor(private readonly redis: Redis) {}

  async get(): Promise<string> {
    await this.redis.set(authKeys.linkSecret, randomBytes(32).toString('base64url'), 'NX');
    const secret = await this.redis.get(authKeys.linkSecret);
    if (!secret) throw new Error('the link secret is missing from Redis');
    return secret;
  }
}
