import type Redis from 'ioredis';

export interface StreamEntry {
  id: string;
  fields: Record<string, string>;
}

/** An entry moved to the dead-letter stream after its handler failed `deliveries` times. */
export interface DeadLetteredEntry {
  entry: StreamEntry;
  deliveries: number;
  error: Error;
}

/** Every default of a StreamConsumer, in one place. */
export const STREAM_CONSUMER_DEFAULTS = {
  /** entries read per call */
  count: 50,
  /** how long one read waits for new entries, ms */
  blockMs: 1000,
  /** entries another consumer has held unacknowledged this long are taken over (it died), ms */
  claimIdleMs: 60_000,
  /** an entry whose handler failed is tried again after this long (new entries are read meanwhile), ms */
  retryMs: 2000,
  /**
   * deliveries (Redis's own count: every read of the entry by any consumer, as XPENDING reports it) after which a
   * failing entry is dead-lettered; with `retryMs` this gives a poison entry about 10 s before it is moved aside
   */
  maxDeliveries: 5,
  /** entries kept in the dead-letter stream (approximate trim, oldest first) */
  deadLetterMaxLen: 10_000,
};

export interface StreamConsumerOptions extends Partial<typeof STREAM_CONSUMER_DEFAULTS> {
  stream: string;
  group: string;
  /** this process's name in the group; a restarted process with the same name first re-reads what it left pending */
  consumer: string;
  /**
   * where entries go after `maxDeliveries` failed tries (a stream: fields `stream`, `id`, `group`, `consumer`,
   * `deliveries`, `error`, and `fields`, the entry's own fields as JSON), acknowledged in the same transaction
   */
  deadLetterStream: string;
  /** handles one entry; the entry is acknowledged when it resolves, and delivered again (later) when it throws */
  handle: (entry: StreamEntry) => Promise<void>;
  /** a handler failed, or Redis did (repeats of the same Redis error are reported once, until a read succeeds) */
  onError: (error: Error, entry?: StreamEntry) => void;
  /** an entry was dead-lettered: count it and log it (this is called once per entry) */
  onDeadLetter?: (letter: DeadLetteredEntry) => void;
  /** the group was gone (Redis restarted empty, or someone removed it) and has been created again */
  onGroupRecreated?: () => void;
}

/** how long to wait before reading again after Redis failed */
const RETRY_MS = 1000;
/** distinct Redis errors reported per outage */
const MAX_REPORTED = 5;
/** a dead letter keeps this much of the handler's error message */
const MAX_ERROR_CHARS = 500;

type RawEntry = [id: string, fields: string[] | null];

/**
 * Reads a Redis Stream through a consumer group, at least once: an entry is acknowledged only after its handler
 * resolved, so a crash in between delivers it again, to this consumer's next run (its pending entries come first)
 * or to another consumer (once idle for `claimIdleMs`). Handlers must therefore be idempotent.
 *
 * An entry whose handler throws stays pending and is tried again after `retryMs` while newer entries go on being
 * read, so one bad entry never holds up the stream; after `maxDeliveries` it is moved to the dead-letter stream.
 * When the group is gone (NOGROUP: Redis restarted without its data), it is created again and reading carries on.
 *
 * Give it its own connection: the blocking read holds it, and `stop()` closes it to end a read that waits.
 */
export class StreamConsumer {
  private readonly options: Required<Omit<StreamConsumerOptions, 'onDeadLetter' | 'onGroupRecreated'>> & StreamConsumerOptions;
  private stopped = false;
  private running?: Promise<void>;
  /** a blocking read is waiting for new entries (no handler runs) */
  private waiting = false;
  /** the last read of the stream failed (Redis down, the group gone): not reading until one succeeds again */
  private failing = false;
  /** when this consumer's own pending entries are read again: at start, after a failed handler, after Redis failed */
  private pendingAt = 0;
  private markCaughtUp!: () => void;
  /**
   * Resolves once the backlog is read: this consumer's pending entries, then new ones until a read returns fewer than
   * `count`. Work that must not run ahead of the stream (ending alarms that went quiet) waits for it after a restart.
   */
  readonly caughtUp = new Promise<void>((resolve) => (this.markCaughtUp = resolve));
  /** the Redis errors reported since the last good read, so that an outage is a few lines, not one a second */
  private readonly reported = new Set<string>();

  constructor(
    private readonly redis: Redis,
    options: StreamConsumerOptions,
  ) {
    this.options = { ...STREAM_CONSUMER_DEFAULTS, ...withoutUndefined(options) } as typeof this.options;
  }

  /** Creates the group (reading the stream from its beginning, so nothing written before is missed) and starts. */
  async start(): Promise<void> {
    await this.createGroup();
    this.running = this.loop();
  }

  /** Started, not stopped, and its last read of the stream worked: for readiness. */
  get reading(): boolean {
    return this.running !== undefined && !this.stopped && !this.failing;
  }

  /**
   * Stops after the handler in progress, if one runs; a read that only waits for new entries is cut short by
   * closing the connection (a shutdown must not wait out `blockMs`). Resolves when the loop is done.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.waiting) this.redis.disconnect();
    await this.running;
  }

  /** true when the group was created, false when it existed */
  private async createGroup(): Promise<boolean> {
    try {
      await this.redis.xgroup('CREATE', this.options.stream, this.options.group, '0', 'MKSTREAM');
      return true;
    } catch (error) {
      if (!/BUSYGROUP/.test((error as Error).message)) throw error;
      return false;
    }
  }

  private async loop(): Promise<void> {
    let lastClaim = 0;
    while (!this.stopped) {
      try {
        if (Date.now() >= this.pendingAt) await this.readPending();
        if (Date.now() - lastClaim > this.options.claimIdleMs / 2) {
          lastClaim = Date.now();
          await this.handleAll(await this.claim());
        }
        const entries = await this.waitForEntries();
        await this.handleAll(entries);
        if (entries.length < this.options.count) this.markCaughtUp();
        this.reported.clear();
      } catch (error) {
        if (this.stopped) return; // the read stop() cut short
        this.failing = true;
        // an acknowledgement may have been lost with the connection: this consumer's pending entries come first again
        this.pendingAt = 0;
        if (/NOGROUP/.test((error as Error).message) && (await this.recreateGroup())) continue;
        this.report(error as Error);
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  private async recreateGroup(): Promise<boolean> {
    try {
      if (await this.createGroup()) this.options.onGroupRecreated?.();
      return true;
    } catch (error) {
      this.report(error as Error);
      return false;
    }
  }

  private report(error: Error): void {
    if (this.reported.has(error.message) || this.reported.size >= MAX_REPORTED) return;
    this.reported.add(error.message);
    this.options.onError(error);
  }

  /**
   * Every entry this consumer holds unacknowledged, once each: the cursor moves past each batch, so an entry that
   * fails again waits for the next pass instead of being read in a loop.
   */
  private async readPending(): Promise<void> {
    this.pendingAt = Number.POSITIVE_INFINITY;
    let cursor = '0';
    while (!this.stopped) {
      const entries = await this.read(cursor, false);
      if (entries.length === 0) return;
      cursor = entries.at(-1)![0];
      await this.handleAll(entries);
    }
  }

  private async waitForEntries(): Promise<RawEntry[]> {
    this.waiting = true;
    try {
      return await this.read('>', true);
    } finally {
      this.waiting = false;
    }
  }

  /** A Redis failure (the acknowledgement, the delivery count) throws to the loop; a handler's failure does not. */
  private async handleAll(entries: RawEntry[]): Promise<void> {
    for (const [id, fields] of entries) {
      if (this.stopped) return;
      if (!fields) {
        // trimmed from the stream (MAXLEN) before it was handled: nothing is left to hand over
        await this.redis.xack(this.options.stream, this.options.group, id);
        this.options.onError(new Error(`entry ${id} was trimmed from ${this.options.stream} before it was handled`));
        continue;
      }
      const entry = { id, fields: toRecord(fields) };
      try {
        await this.options.handle(entry);
      } catch (error) {
        await this.handlerFailed(entry, error as Error);
        continue;
      }
      await this.redis.xack(this.options.stream, this.options.group, id);
    }
  }

  private async handlerFailed(entry: StreamEntry, error: Error): Promise<void> {
    this.options.onError(error, entry);
    const deliveries = await this.deliveries(entry.id);
    if (deliveries < this.options.maxDeliveries) {
      this.pendingAt = Math.min(this.pendingAt, Date.now() + this.options.retryMs);
      return;
    }
    await this.deadLetter({ entry, deliveries, error });
    this.options.onDeadLetter?.({ entry, deliveries, error });
  }

  /** How often Redis delivered the entry (every read counts, XREADGROUP of the pending entries and claims too). */
  private async deliveries(id: string): Promise<number> {
    const { stream, group } = this.options;
    const rows = (await this.redis.xpending(stream, group, id, id, 1)) as [string, string, number, number][];
    // no row: acknowledged meanwhile (another consumer claimed and handled it); nothing left to count
    return rows[0]?.[3] ?? 0;
  }

  /** Moves the entry aside and acknowledges it in one transaction, so it is neither lost nor read again. */
  private async deadLetter({ entry, deliveries, error }: DeadLetteredEntry): Promise<void> {
    const { stream, group, consumer, deadLetterStream, deadLetterMaxLen } = this.options;
    const results = await this.redis
      .multi()
      .xadd(deadLetterStream, 'MAXLEN', '~', String(deadLetterMaxLen), '*',
        'stream', stream, 'id', entry.id, 'group', group, 'consumer', consumer, 'deliveries', String(deliveries),
        'error', error.message.slice(0, MAX_ERROR_CHARS), 'fields', JSON.stringify(entry.fields))
      .xack(stream, group, entry.id)
      .exec();
    const failed = results?.find(([failure]) => failure)?.[0];
    if (failed || !results) throw new Error(`dead-lettering entry ${entry.id} of ${stream} into ${deadLetterStream}: ${failed?.message ?? 'transaction discarded'}`);
  }

  private async read(from: string, block: boolean): Promise<RawEntry[]> {
    const { stream, group, consumer, count, blockMs } = this.options;
    const args: (string | number)[] = ['GROUP', group, consumer, 'COUNT', count];
    if (block) args.push('BLOCK', blockMs);
    args.push('STREAMS', stream, from);
    const reply = (await this.redis.call('XREADGROUP', ...args)) as [string, RawEntry[]][] | null;
    this.failing = false;
    return reply?.[0]?.[1] ?? [];
  }

  private async claim(): Promise<RawEntry[]> {
    const { stream, group, consumer, count, claimIdleMs } = this.options;
    // Redis 7 drops entries trimmed meanwhile from the pending list itself (the reply's third element)
    const reply = (await this.redis.call('XAUTOCLAIM', stream, group, consumer, claimIdleMs, '0', 'COUNT', count)) as [string, RawEntry[]];
    return (reply?.[1] ?? []).filter(([, fields]) => fields);
  }
}

function toRecord(fields: string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) record[fields[i]!] = fields[i + 1]!;
  return record;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
