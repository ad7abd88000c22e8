import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import {
  alarmEpisodeSchema,
  alarmRecordSchema,
  decodeCursor,
  encodeCursor,
  isAfterCursor,
  keys,
  type AlarmEpisode,
  type AlarmEvent,
  type AlarmPage,
  type AlarmQuery,
  type AlarmRecord,
} from '@vigil/contracts';
import { RecordCheck } from './record-check';

/** Lifecycle events kept in the durable log (the records themselves are kept until retention removes them). */
const EVENTS_MAXLEN = 100_000;
/** Index rows read per round while paging; ties on the start time are rare, so one round nearly always does. */
const SCAN_CHUNK = 200;
/** records deleted per round by retention */
const RETENTION_BATCH = 500;


/**
 * Alarm records in Redis: one JSON string per alarm and sorted-set indexes by start time (all, per camera, per rule,
 * per camera + rule), so each filter of the listing reads one index; and the alarms service's saved episodes.
 * Written by the alarms service, read by publish. What is read back is checked like any input (a bad record is
 * left out and logged once, naming its key).
 */
export class AlarmStore {
  private readonly check: RecordCheck;

  constructor(
    private readonly redis: Redis,
    logger: Pick<Logger, 'warn'> = new Logger(AlarmStore.name),
  ) {
    this.check = new RecordCheck(logger);
  }

  /** Writes the record (and its index rows, idempotent) and appends the event to the durable log, atomically. */
  async record(event: AlarmEvent): Promise<void> {
    await this.redis
      .multi()
      .set(keys.alarm(event.alarm.id), JSON.stringify(event.alarm))
      .zadd(keys.alarmIndex(), event.alarm.startedAt, event.alarm.id)
      .zadd(keys.alarmIndex({ camera: event.alarm.camera }), event.alarm.startedAt, event.alarm.id)
      .zadd(keys.alarmIndex({ rule: event.alarm.rule }), event.alarm.startedAt, event.alarm.id)
      .zadd(keys.alarmIndex({ camera: event.alarm.camera, rule: event.alarm.rule }), event.alarm.startedAt, event.alarm.id)
      .xadd(keys.alarmEvents, 'MAXLEN', '~', String(EVENTS_MAXLEN), '*', 'type', event.type, 'event', JSON.stringify(event))
      .exec()
      .then(failedStep);
  }

  /** Rewrites a record whose clip or snapshot changed (no lifecycle event). */
  async update(alarm: AlarmRecord): Promise<void> {
    await this.redis.set(keys.alarm(alarm.id), JSON.stringify(alarm), 'XX');
  }

  async get(id: string): Promise<AlarmRecord | undefined> {
    return this.parse(id, await this.redis.get(keys.alarm(id)));
  }

  /** Newest first, filtered, one page from the cursor. */
  /**
   * A page of alarms, newest first. `visible` leaves out the alarms of cameras the caller may not see, before the
   * page is cut, so that a scoped viewer gets full pages and a cursor that skips nothing of theirs.
   */
  async list(query: AlarmQuery, visible: (camera: string) => boolean = () => true): Promise<AlarmPage> {
    const index = keys.alarmIndex({ camera: query.camera, rule: query.rule });
    const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
    const max = Math.min(query.until ?? Number.POSITIVE_INFINITY, cursor?.startedAt ?? Number.POSITIVE_INFINITY);
    const min = query.since ?? Number.NEGATIVE_INFINITY;
    const found: { alarm: AlarmRecord; startedAt: number }[] = [];
    // one more than the page to learn whether there is a next page
    for (let offset = 0; found.length <= query.limit; offset += SCAN_CHUNK) {
      const rows = await this.redis.zrevrangebyscore(index, bound(max), bound(min), 'WITHSCORES', 'LIMIT', offset, SCAN_CHUNK);
      const ids: string[] = [];
      const starts: number[] = [];
      for (let i = 0; i < rows.length; i += 2) {
        const id = rows[i]!;
        const startedAt = Number(rows[i + 1]);
        if (cursor && !isAfterCursor(startedAt, id, cursor)) continue;
        ids.push(id);
        starts.push(startedAt);
      }
      const texts = ids.length ? await this.redis.mget(ids.map((id) => keys.alarm(id))) : [];
      // a record removed between the index read and here (retention) is left out rather than returned empty
      texts.forEach((text, i) => {
        const alarm = this.parse(ids[i]!, text);
        if (alarm && visible(alarm.camera)) found.push({ alarm, startedAt: starts[i]! });
      });
      if (rows.length < 2 * SCAN_CHUNK) break;
    }
    const page = found.slice(0, query.limit);
    const last = page.at(-1);
    const next = found.length > query.limit && last ? encodeCursor({ startedAt: last.startedAt, id: last.alarm.id }) : null;
    return { items: page.map((entry) => entry.alarm), next };
  }

  /** Removes records and their index rows (retention). */
  async remove(alarms: readonly AlarmRecord[]): Promise<void> {
    if (alarms.length === 0) return;
    const multi = this.redis.multi();
    for (const alarm of alarms) {
      multi
        .del(keys.alarm(alarm.id))
        .zrem(keys.alarmIndex(), alarm.id)
        .zrem(keys.alarmIndex({ camera: alarm.camera }), alarm.id)
        .zrem(keys.alarmIndex({ rule: alarm.rule }), alarm.id)
        .zrem(keys.alarmIndex({ camera: alarm.camera, rule: alarm.rule }), alarm.id);
    }
    await multi.exec().then(failedStep);
  }

  /**
   * Deletes the records of alarms that started before `before`, with their index rows, in rounds of `batch`; returns
   * how many went. An index row whose record is already gone is dropped from the index of all alarms (the others
   * name the camera and rule, which only the record knew; listings skip such rows).
   */
  async removeStartedBefore(before: number, batch = RETENTION_BATCH): Promise<number> {
    let removed = 0;
    for (;;) {
      const ids = await this.startedBefore(before, batch);
      if (ids.length === 0) return removed;
      const texts = await this.redis.mget(ids.map((id) => keys.alarm(id)));
      const records = texts.flatMap((text, i) => this.parse(ids[i]!, text) ?? []);
      // no record, or one that does not check out: its camera and rule are unknown, only the main index can lose it
      const orphans = ids.filter((id) => !records.some((record) => record.id === id));
      await this.remove(records);
      if (orphans.length) await this.redis.zrem(keys.alarmIndex(), ...orphans);
      removed += records.length;
    }
  }

  /** Ids of alarms that started before `before`, oldest first. */
  async startedBefore(before: number, limit = 1000): Promise<string[]> {
    return this.redis.zrangebyscore(keys.alarmIndex(), '-inf', `(${before}`, 'LIMIT', 0, limit);
  }

  /** The tracker state a restarted alarms service carries on from. */
  async loadTracker(): Promise<AlarmEpisode[]> {
    const entries = await this.redis.hgetall(keys.alarmsOpen);
    return Object.entries(entries).flatMap(([field, text]) => this.check.read('saved alarm episode', field, text, alarmEpisodeSchema, episodeField) ?? []);
  }

  /** Replaces the saved tracker state (open alarms and running cooldowns). */
  async saveTracker(snapshot: readonly AlarmEpisode[]): Promise<void> {
    const multi = this.redis.multi().del(keys.alarmsOpen);
    if (snapshot.length) multi.hset(keys.alarmsOpen, ...snapshot.flatMap((entry) => [episodeField(entry), JSON.stringify(entry)]));
    await multi.exec().then(failedStep);
  }

  private parse(id: string, text: string | null): AlarmRecord | undefined {
    return text ? this.check.read('alarm record', id, text, alarmRecordSchema, (record) => record.id) : undefined;
  }
}

function episodeField(entry: Pick<AlarmEpisode, 'camera' | 'rule'>): string {
  return `${entry.camera}/${entry.rule}`;
}

function bound(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+inf';
  if (value === Number.NEGATIVE_INFINITY) return '-inf';
  return String(value);
}

/** MULTI reports a failed command in its results, not as a rejection. */
function failedStep(results: [Error | null, unknown][] | null): void {
  const failed = results?.find(([error]) => error);
  if (failed) throw failed[0]!;
  if (results === null) throw new Error('the Redis transaction was discarded');
}
