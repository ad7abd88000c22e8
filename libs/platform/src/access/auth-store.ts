import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
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
export class AuthStore implements OnModuleInit {
  redis!: Redis;
  revocations!: Revocations;
  tokens!: TokenRepository;
  sessions!: SessionRepository;
  users!: UserRepository;
  limiter!: LoginLimiter;
  audit!: AuditLog;
  private linkKeyPromise?: Promise<Buffer>;

  constructor(
    private readonly connections: RedisConnections,
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
  ) {}

  onModuleInit(): void {
    this.redis = this.connections.create('auth');
    this.revocations = new Revocations(this.redis);
    this.tokens = new TokenRepository(this.redis, this.revocations);
    this.sessions = new SessionRepository(this.redis, this.revocations, { maxTtlMs: Math.max(this.config.auth.sessionMs, 60_000) });
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
