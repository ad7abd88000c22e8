import { Inject, Injectable } from '@nestjs/common';
import { linkKeyFrom } from '@vigil/auth';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { AuditLog, LinkSecret, LoginLimiter, RedisConnections, Revocations, SessionRepository, TokenRepository, UserRepository, type RevocationHandler, type RevocationSubscription } from '@vigil/redis';

/** The access-control repositories of one process, on one Redis connection, and the key that signs links. */
@Injectable()
export class AuthStore {
  readonly revocations: Revocations;
  readonly tokens: TokenRepository;
  readonly sessions: SessionRepository;
  readonly users: UserRepository;
  readonly limiter: LoginLimiter;
  readonly audit: AuditLog;
  private readonly linkSecret: LinkSecret;
  private linkKeyPromise?: Promise<Buffer>;

  // made at construction, not at module init: the Socket.IO gateway's afterInit, which follows revocations, may
  // come first
  constructor(
    private readonly connections: RedisConnections,
    @Inject(VIGIL_CONFIG) config: VigilConfig,
  ) {
    const redis = connections.create('auth');
    this.revocations = new Revocations(redis);
    this.tokens = new TokenRepository(redis, this.revocations);
    this.sessions = new SessionRepository(redis, this.revocations, { maxTtlMs: Math.max(config.auth.sessionMs, 60_000) });
    this.users = new UserRepository(redis, this.sessions, this.revocations);
    this.limiter = new LoginLimiter(redis);
    this.audit = new AuditLog(redis);
    this.linkSecret = new LinkSecret(redis);
  }

  /** Follows revocations on every replica, on a connection of its own (a subscribed connection runs no other commands). */
  followRevocations(handler: RevocationHandler, onReconnected?: () => void): Promise<RevocationSubscription> {
    return this.revocations.subscribe(this.connections.create('auth-revocations'), handler, onReconnected);
  }

  /** The key links are signed with; read once (and made once, for the whole deployment). */
  linkKey(): Promise<Buffer> {
    this.linkKeyPromise ??= this.linkSecret.get().then(linkKeyFrom, (error: Error) => {
      this.linkKeyPromise = undefined; // Redis was down: ask again next time
      throw error;
    });
    return this.linkKeyPromise;
  }
}
