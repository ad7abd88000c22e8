import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import { linkKeyFrom } from '@vigil/auth';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { authKeys } from '@vigil/contracts';
import { AuditLog, LoginLimiter, RedisConnections, Revocations, SessionRepository, TokenRepository, UserRepository } from '@vigil/redis';

/**
 * The access-control repositories of one process, on one Redis connection, plus the key that signs links: a random
 * secret kept in Redis (the first replica to start makes it), so that every replica signs and checks alike
 * without one more secret to configure.
 */
@Injectable()
export class AuthStore {
  readonly redis: Redis;
  readonly revocations: Revocations;
  readonly tokens: TokenRepository;
  readonly sessions: SessionRepository;
  readonly users: UserRepository;
  readonly limiter: LoginLimiter;
  readonly audit: AuditLog;
  private linkKeyPromise?: Promise<Buffer>;

  // made at construction, not at module init: the Socket.IO gateway's afterInit, which follows revocations, may
  // come first
  constructor(connections: RedisConnections, @Inject(VIGIL_CONFIG) config: VigilConfig) {
    this.redis = connections.create('auth');
    this.revocations = new Revocations(this.redis);
    this.tokens = new TokenRepository(this.redis, this.revocations);
    this.sessions = new SessionRepository(this.redis, this.revocations, { maxTtlMs: Math.max(config.auth.sessionMs, 60_000) });
    this.users = new UserRepository(this.redis, this.sessions, this.revocations);
    this.limiter = new LoginLimiter(this.redis);
    this.audit = new AuditLog(this.redis);
  }

  /** The key links are signed with; read once (and made once, for the whole deployment). */
  linkKey(): Promise<Buffer> {
    this.linkKeyPromise ??= (async () => {
      await this.redis.set(authKeys.linkSecret, randomBytes(32).toString('base64url'), 'NX');
      const secret = await this.redis.get(authKeys.linkSecret);
      if (!secret) throw new Error('the link secret is missing from Redis');
      return linkKeyFrom(secret);
    })().catch((error: Error) => {
      this.linkKeyPromise = undefined; // Redis was down: ask again next time
      throw error;
    });
    return this.linkKeyPromise;
  }
}
