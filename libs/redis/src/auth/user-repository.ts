import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { RECORD_ID_PATTERN, USERNAME_PATTERN, userRecordSchema, usernameKey, userView, type Role, type UserRecord, type UserView } from '@vigil/auth';
import { authKeys } from '@vigil/contracts';
import { RecordCheck } from '../record-check';
import { AuthStoreFullError, UsernameTakenError } from './errors';
import type { Revocations } from './revocations';
import type { SessionRepository } from './session-repository';

export interface UserRepositoryOptions {
  /** users stored at most; a create past it fails with AuthStoreFullError. @default 1000 */
  maxUsers?: number;
  logger?: Pick<Logger, 'warn'>;
}

export const DEFAULT_USER_OPTIONS = { maxUsers: 1000 } as const;

/** What update() may change. `cameras: null` lifts the limit to some cameras. */
export interface UserChanges {
  role?: Role;
  cameras?: readonly string[] | null;
  /** from hashPassword; changing it ends every session of the user */
  passwordHash?: string;
}

/**
 * Adds a user unless the table is full or the name is held by a user that exists (a name left pointing at no user,
 * after a crash between two writes, is taken over). Returns 'ok', 'full', 'taken' or 'exists'.
 */
const CREATE = `
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then return 'full' end
local owner = redis.call('HGET', KEYS[2], ARGV[2])
if owner and redis.call('HEXISTS', KEYS[1], owner) == 1 then return 'taken' end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 'exists' end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 'ok'`;

/** Replaces a record only if it is still what was read (so two updates, or an update and a delete, cannot mix). */
const COMPARE_AND_SET = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`;

/** Deletes the record and the name that points at it (only if it still points at it). */
const DELETE = `
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
if ARGV[2] ~= '' and redis.call('HGET', KEYS[2], ARGV[2]) == ARGV[1] then redis.call('HDEL', KEYS[2], ARGV[2]) end
return removed`;

const UPDATE_TRIES = 5;

/**
 * People's accounts in Redis: one hash of records, one of lower-case usernames -> ids (names are unique whatever
 * their case). Records read back are checked, password hash parameters included; a bad one is skipped and logged once.
 */
export class UserRepository {
  private readonly maxUsers: number;
  private readonly check: RecordCheck;

  constructor(
    private readonly redis: Redis,
    private readonly sessions: SessionRepository,
    private readonly revocations: Revocations,
    options: UserRepositoryOptions = {},
  ) {
    this.maxUsers = options.maxUsers ?? DEFAULT_USER_OPTIONS.maxUsers;
    this.check = new RecordCheck(options.logger ?? new Logger(UserRepository.name));
  }

  /** Stores a record made by newUserRecord. Throws UsernameTakenError or AuthStoreFullError. */
  async create(record: UserRecord): Promise<void> {
    const json = JSON.stringify(userRecordSchema.parse(record));
    const outcome = await this.redis.eval(CREATE, 2, authKeys.users, authKeys.usernames, record.id, usernameKey(record.username), json, String(this.maxUsers));
    if (outcome === 'full') throw new AuthStoreFullError('users', this.maxUsers);
    if (outcome === 'taken') throw new UsernameTakenError(record.username);
    if (outcome !== 'ok') throw new Error(`user id ${record.id} exists already`);
  }

  async get(id: string): Promise<UserRecord | undefined> {
    return (await this.read(id))?.record;
  }

  /** The user with this name in any case; undefined for a name that is not a username at all. */
  async getByUsername(username: string): Promise<UserRecord | undefined> {
    if (!USERNAME_PATTERN.test(username)) return undefined;
    const key = usernameKey(username);
    const id = await this.redis.hget(authKeys.usernames, key);
    const record = id === null ? undefined : await this.get(id);
    // a name index entry pointing at someone else's record (planted, or left over) is not that user
    return record && usernameKey(record.username) === key ? record : undefined;
  }

  /** Every valid user, by username, without password hashes. */
  async list(): Promise<UserView[]> {
    const all = await this.redis.hgetall(authKeys.users);
    return Object.entries(all)
      .flatMap(([id, json]) => {
        const record = this.check.read('user', id, json, userRecordSchema, (user) => user.id);
        return record ? [userView(record)] : [];
      })
      .sort((a, b) => usernameKey(a.username).localeCompare(usernameKey(b.username)));
  }

  async count(): Promise<number> {
    return this.redis.hlen(authKeys.users);
  }

  /**
   * Changes role, cameras or password; returns the new record, or undefined when there is no such user. Every
   * replica drops the user's sockets (they were let in under the old grant); a new password also ends every session.
   */
  async update(id: string, changes: UserChanges, now: number = Date.now()): Promise<UserRecord | undefined> {
    const next = await this.swap(id, (record) => applyChanges(record, changes, now));
    if (!next) return undefined;
    if (changes.passwordHash !== undefined) await this.sessions.deleteAllForUser(id);
    else await this.revocations.publish({ kind: 'user', id });
    return next;
  }

  /**
   * Stores a new hash of the same password (after a login, when needsRehash says the parameters are old): nothing
   * about the grant changed, so no session ends and no socket is dropped.
   */
  async rehash(id: string, passwordHash: string): Promise<boolean> {
    return (await this.swap(id, (record) => ({ ...record, passwordHash }))) !== undefined;
  }

  /** Replaces the record with `change(record)` unless it changed meanwhile (then reads it again and retries). */
  private async swap(id: string, change: (record: UserRecord) => UserRecord): Promise<UserRecord | undefined> {
    for (let attempt = 0; attempt < UPDATE_TRIES; attempt++) {
      const current = await this.read(id);
      if (!current) return undefined;
      const next = userRecordSchema.parse(change(current.record));
      const swapped = await this.redis.eval(COMPARE_AND_SET, 1, authKeys.users, id, current.json, JSON.stringify(next));
      if (swapped === 1) return next;
    }
    throw new Error(`user ${id} kept changing while it was updated (${UPDATE_TRIES} tries)`);
  }

  /** Deletes the user and ends its sessions. True when there was one. */
  async delete(id: string): Promise<boolean> {
    if (!RECORD_ID_PATTERN.test(id)) return false;
    const name = (await this.read(id))?.record.username;
    const removed = await this.redis.eval(DELETE, 2, authKeys.users, authKeys.usernames, id, name === undefined ? '' : usernameKey(name));
    // a record that failed its check left its name behind; a later create takes such a name over
    await this.sessions.deleteAllForUser(id);
    return removed === 1;
  }

  private async read(id: string): Promise<{ record: UserRecord; json: string } | undefined> {
    if (!RECORD_ID_PATTERN.test(id)) return undefined;
    const json = await this.redis.hget(authKeys.users, id);
    const record = json === null ? undefined : this.check.read('user', id, json, userRecordSchema, (user) => user.id);
    return record && json !== null ? { record, json } : undefined;
  }
}

function applyChanges(record: UserRecord, changes: UserChanges, now: number): UserRecord {
  const { cameras: _old, ...rest } = record;
  const cameras = changes.cameras === undefined ? record.cameras : changes.cameras === null ? undefined : [...changes.cameras];
  const next: UserRecord = { ...rest, role: changes.role ?? record.role, passwordHash: changes.passwordHash ?? record.passwordHash, updatedAt: now };
  return cameras === undefined ? next : { ...next, cameras };
}
