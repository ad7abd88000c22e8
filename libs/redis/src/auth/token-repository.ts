import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { parseApiToken, RECORD_ID_PATTERN, tokenRecordSchema, tokenSecretMatches, tokenView, type TokenRecord, type TokenView } from '@vigil/auth';
import { authKeys } from '@vigil/contracts';
import { RecordCheck } from '../record-check';
import { AuthStoreFullError } from './errors';
import { execSteps } from './transaction';
import type { Revocations } from './revocations';

export interface TokenRepositoryOptions {
  /** tokens stored at most; a create past it fails with AuthStoreFullError. @default 1000 */
  maxTokens?: number;
  /** a token's lastUsedAt is written at most this often per replica, ms. @default 60_000 */
  touchIntervalMs?: number;
  logger?: Pick<Logger, 'warn'>;
}

export const DEFAULT_TOKEN_OPTIONS = { maxTokens: 1000, touchIntervalMs: 60_000 } as const;

/** Adds the record unless the hash is full or the id is taken: 1 added, 0 id taken, -1 full. */
const CREATE = `
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return -1 end
return redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])`;

/**
 * API tokens in Redis: one hash of records (each with its secret's SHA-256, never the secret), and beside it the
 * time each was last used. Records read back are checked; a bad one is skipped and logged once.
 */
export class TokenRepository {
  private readonly options: Required<Omit<TokenRepositoryOptions, 'logger'>>;
  private readonly check: RecordCheck;
  private readonly logger: Pick<Logger, 'warn'>;
  /** token id -> when this replica last wrote its lastUsedAt */
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly revocations: Revocations,
    options: TokenRepositoryOptions = {},
  ) {
    const { logger, ...rest } = options;
    this.options = { ...DEFAULT_TOKEN_OPTIONS, ...rest };
    this.logger = logger ?? new Logger(TokenRepository.name);
    this.check = new RecordCheck(this.logger);
  }

  /** Stores a record made by issueToken. Throws AuthStoreFullError when there are maxTokens already. */
  async create(record: TokenRecord): Promise<void> {
    const json = JSON.stringify(tokenRecordSchema.parse(record));
    const added = await this.redis.eval(CREATE, 1, authKeys.tokens, record.id, json, String(this.options.maxTokens));
    if (added === -1) throw new AuthStoreFullError('tokens', this.options.maxTokens);
    if (added !== 1) throw new Error(`token id ${record.id} exists already`);
  }

  async get(id: string): Promise<TokenRecord | undefined> {
    if (!RECORD_ID_PATTERN.test(id)) return undefined;
    const json = await this.redis.hget(authKeys.tokens, id);
    return json === null ? undefined : this.check.read('token', id, json, tokenRecordSchema, (record) => record.id);
  }

  /** Every valid token, oldest first, without hashes. */
  async list(): Promise<TokenView[]> {
    const [all, lastUsed] = await Promise.all([this.redis.hgetall(authKeys.tokens), this.redis.hgetall(authKeys.tokensLastUsed)]);
    return Object.entries(all)
      .flatMap(([id, json]) => {
        const record = this.check.read('token', id, json, tokenRecordSchema, (token) => token.id);
        return record ? [tokenView(record, epochMs(lastUsed[id]))] : [];
      })
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  async count(): Promise<number> {
    return this.redis.hlen(authKeys.tokens);
  }

  /**
   * The token that `text` (a bearer credential) is, when it is well-formed, stored, its secret matches and it has
   * not expired; otherwise undefined. Marks it used (throttled; a failed write is only logged).
   */
  async verify(text: unknown, now: number = Date.now()): Promise<TokenRecord | undefined> {
    const parsed = parseApiToken(text);
    if (!parsed) return undefined;
    const record = await this.get(parsed.id);
    if (!record || !tokenSecretMatches(parsed.secret, record.secretHash)) return undefined;
    if (record.expiresAt !== undefined && record.expiresAt <= now) return undefined;
    await this.touch(record.id, now).catch((error: Error) => this.logger.warn(`token ${record.id}: lastUsedAt not written: ${error.message}`));
    return record;
  }

  /** Writes lastUsedAt, at most once per touchIntervalMs per token on this replica. */
  async touch(id: string, now: number = Date.now()): Promise<void> {
    const last = this.touched.get(id);
    if (last !== undefined && now - last < this.options.touchIntervalMs) return;
    // bounded like the table: a replica remembers at most as many tokens as there can be
    if (this.touched.size >= this.options.maxTokens) this.touched.clear();
    this.touched.set(id, now);
    await this.redis.hset(authKeys.tokensLastUsed, id, String(now));
  }

  /** Deletes the token and tells every replica to drop its sockets. True when there was one to delete. */
  async revoke(id: string): Promise<boolean> {
    if (!RECORD_ID_PATTERN.test(id)) return false;
    const [removed] = await execSteps(this.redis.multi().hdel(authKeys.tokens, id).hdel(authKeys.tokensLastUsed, id), `revoking token ${id}`);
    this.touched.delete(id);
    if (removed !== 1) return false;
    await this.revocations.publish({ kind: 'token', id });
    return true;
  }
}

function epochMs(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,16}$/.test(text)) return undefined;
  return Number(text);
}
