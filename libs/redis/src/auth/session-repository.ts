import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { DIGEST_PATTERN, newSessionId, parseSessionId, RECORD_ID_PATTERN, sessionHandle, sessionRecordSchema, type SessionRecord } from '@vigil/auth';
import { authKeys } from '@vigil/contracts';
import { RecordCheck } from '../record-check';
import type { Revocations } from './revocations';
import { execSteps } from './transaction';

export interface SessionRepositoryOptions {
  /** sessions one user may hold; logging in once more ends the oldest. @default 20 */
  maxPerUser?: number;
  /** the longest session create() accepts, ms. @default 30 days */
  maxTtlMs?: number;
  logger?: Pick<Logger, 'warn'>;
}

export const DEFAULT_SESSION_OPTIONS = { maxPerUser: 20, maxTtlMs: 30 * 24 * 60 * 60 * 1000 } as const;

export interface NewSession {
  /** the cookie value: shown to the client once, never stored */
  sessionId: string;
  record: SessionRecord;
}

/**
 * Login sessions in Redis. Each is stored under its handle (the session id's SHA-256) with a TTL, so a Redis dump
 * holds no usable session; a sorted set per user lists its handles so all of them can be ended at once.
 */
export class SessionRepository {
  private readonly options: Required<Omit<SessionRepositoryOptions, 'logger'>>;
  private readonly check: RecordCheck;

  constructor(
    private readonly redis: Redis,
    private readonly revocations: Revocations,
    options: SessionRepositoryOptions = {},
  ) {
    const { logger, ...rest } = options;
    this.options = { ...DEFAULT_SESSION_OPTIONS, ...rest };
    this.check = new RecordCheck(logger ?? new Logger(SessionRepository.name));
  }

  /** Starts a session of `userId` lasting `ttlMs`; past maxPerUser, the user's oldest sessions end. */
  async create(userId: string, ttlMs: number, now: number = Date.now()): Promise<NewSession> {
    if (!RECORD_ID_PATTERN.test(userId)) throw new RangeError(`not a user id: ${JSON.stringify(userId.slice(0, 40))}`);
    if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0 || ttlMs > this.options.maxTtlMs) throw new RangeError(`a session lasts 1 to ${this.options.maxTtlMs} ms, not ${ttlMs}`);
    const sessionId = newSessionId();
    const record: SessionRecord = { id: sessionHandle(sessionId), userId, createdAt: now, expiresAt: now + ttlMs };
    const index = authKeys.userSessions(userId);
    const [, , , , held] = await execSteps(
      this.redis
        .multi()
        .set(authKeys.session(record.id), JSON.stringify(record), 'PX', ttlMs)
        .zadd(index, record.expiresAt, record.id)
        .zremrangebyscore(index, '-inf', now)
        // the index outlives every session it can list
        .pexpire(index, this.options.maxTtlMs)
        .zcard(index),
      `starting a session of user ${userId}`,
    );
    const excess = (held as number) - this.options.maxPerUser;
    if (excess > 0) await this.endOldest(userId, excess);
    return { sessionId, record };
  }

  /** The session a cookie value names, when it is well-formed, stored and not expired. */
  async get(sessionId: unknown, now: number = Date.now()): Promise<SessionRecord | undefined> {
    const id = parseSessionId(sessionId);
    if (!id) return undefined;
    const handle = sessionHandle(id);
    const json = await this.redis.get(authKeys.session(handle));
    if (json === null) return undefined;
    const record = this.check.read('session', handle, json, sessionRecordSchema, (session) => session.id);
    return record && record.expiresAt > now ? record : undefined;
  }

  /** Logout: ends the session a cookie value names. True when there was one. */
  async delete(sessionId: unknown): Promise<boolean> {
    const id = parseSessionId(sessionId);
    return id ? this.deleteHandle(sessionHandle(id)) : false;
  }

  /** Whether the session of this handle is still there (not ended, not expired). */
  async hasHandle(handle: string): Promise<boolean> {
    return DIGEST_PATTERN.test(handle) && (await this.redis.exists(authKeys.session(handle))) === 1;
  }

  /** Ends one session by its handle (what a SessionRecord's id and a revocation carry). */
  async deleteHandle(handle: string): Promise<boolean> {
    if (!DIGEST_PATTERN.test(handle)) return false;
    const json = await this.redis.get(authKeys.session(handle));
    const owner = json === null ? undefined : this.check.read('session', handle, json, sessionRecordSchema, (session) => session.id)?.userId;
    const steps = this.redis.multi().del(authKeys.session(handle));
    if (owner) steps.zrem(authKeys.userSessions(owner), handle);
    const [removed] = await execSteps(steps, 'ending a session');
    if (removed !== 1) return false;
    await this.revocations.publish({ kind: 'session', id: handle });
    return true;
  }

  /** Ends every session of a user (deleted, or its password changed); returns how many there were. */
  async deleteAllForUser(userId: string): Promise<number> {
    if (!RECORD_ID_PATTERN.test(userId)) return 0;
    const index = authKeys.userSessions(userId);
    const handles = await this.redis.zrange(index, 0, -1);
    const steps = this.redis.multi();
    for (const handle of handles) if (DIGEST_PATTERN.test(handle)) steps.del(authKeys.session(handle));
    steps.del(index);
    const removed = await execSteps(steps, `ending the sessions of user ${userId}`);
    // one message for all of them: every socket of the user goes
    await this.revocations.publish({ kind: 'user', id: userId });
    return removed.slice(0, -1).filter((count) => count === 1).length;
  }

  private async endOldest(userId: string, count: number): Promise<void> {
    const popped = await this.redis.zpopmin(authKeys.userSessions(userId), count);
    for (let i = 0; i < popped.length; i += 2) {
      const handle = popped[i]!;
      if (!DIGEST_PATTERN.test(handle)) continue;
      if ((await this.redis.del(authKeys.session(handle))) === 1) await this.revocations.publish({ kind: 'session', id: handle });
    }
  }
}
