import type Redis from 'ioredis';

export interface StreamEntry {
  id: string;
  fields: Record<string, string>;
}

export interface StreamConsumerOptions {
  stream: string;
  group: string;
  /** this process's name in the group; a restarted process with the same name first re-reads what it left pending */
  consumer: string;
  /** entries read per call */
  count?: number;
  /** how long one read waits for new entries, ms */
  blockMs?: number;
  /** entries another consumer has held unacknowledged this long are taken over (it died), ms */
  claimIdleMs?: number;
  /** handles one entry; the entry is acknowledged when it resolves, and delivered again (later) when it throws */
  handle: (entry: StreamEntry) => Promise<void>;
  onError: (error: Error, entry?: StreamEntry) => void;
}

const DEFAULTS = { count: 50, blockMs: 1000, claimIdleMs: 60_000 };
/** how long to wait before reading again after Redis failed */
const RETRY_MS = 1000;

/**
 * Reads a Redis Stream through a consumer group, at least once: an entry is acknowledged only after its handler
 * resolved, so a crash in between delivers it again, to this consumer's next run (its pending entries come first)
 * or to another consumer (once idle for `claimIdleMs`). Handlers must therefore be idempotent.
 *
 * Give it its own connection: the blocking read holds it, and `stop()` closes it to end a read that waits.
 */
export class StreamConsumer {
  private readonly options: Required<StreamConsumerOptions>;
  private stopped = false;
  private running?: Promise<void>;
  /** a blocking read is waiting for new entries (no handler runs) */
  private waiting = false;
  /** the last read of the stream failed (Redis down, the group gone): not reading until one succeeds again */
  private failing = false;

  constructor(
    private readonly redis: Redis,
    options: StreamConsumerOptions,
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Creates the group (reading the stream from its beginning, so nothing written before is missed) and starts. */
  async start(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.options.stream, this.options.group, '0', 'MKSTREAM');
    } catch (error) {
      if (!/BUSYGROUP/.test((error as Error).message)) throw error;
    }
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

  private async loop(): Promise<void> {
    // first what this consumer left pending (a crash before the acknowledgement), then others' stale entries
    let pending = true;
    let lastClaim = 0;
    while (!this.stopped) {
      try {
        if (pending) {
          const entries = await this.read('0', false);
          if (entries.length === 0) pending = false;
          await this.handleAll(entries);
          continue;
        }
        if (Date.now() - lastClaim > this.options.claimIdleMs / 2) {
          lastClaim = Date.now();
          await this.handleAll(await this.claim());
        }
        await this.handleAll(await this.waitForEntries());
      } catch (error) {
        if (this.stopped) return; // the read stop() cut short
        this.failing = true;
        this.options.onError(error as Error);
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  private async waitForEntries(): Promise<StreamEntry[]> {
    this.waiting = true;
    try {
      return await this.read('>', true);
    } finally {
      this.waiting = false;
    }
  }

  private async handleAll(entries: StreamEntry[]): Promise<void> {
    for (const entry of entries) {
      if (this.stopped) return;
      try {
        await this.options.handle(entry);
        await this.redis.xack(this.options.stream, this.options.group, entry.id);
      } catch (error) {
        // left pending: this consumer's next start or another consumer's claim delivers it again
        this.options.onError(error as Error, entry);
      }
    }
  }

  private async read(from: '0' | '>', block: boolean): Promise<StreamEntry[]> {
    const { stream, group, consumer, count, blockMs } = this.options;
    const args: (string | number)[] = ['GROUP', group, consumer, 'COUNT', count];
    if (block) args.push('BLOCK', blockMs);
    args.push('STREAMS', stream, from);
    const reply = (await this.redis.call('XREADGROUP', ...args)) as [string, [string, string[] | null][]][] | null;
    this.failing = false;
    return (reply?.[0]?.[1] ?? []).flatMap(([id, fields]) => (fields ? [{ id, fields: toRecord(fields) }] : []));
  }

  private async claim(): Promise<StreamEntry[]> {
    const { stream, group, consumer, count, claimIdleMs } = this.options;
    const reply = (await this.redis.call('XAUTOCLAIM', stream, group, consumer, claimIdleMs, '0', 'COUNT', count)) as [string, [string, string[] | null][]];
    return (reply?.[1] ?? []).flatMap(([id, fields]) => (fields ? [{ id, fields: toRecord(fields) }] : []));
  }
}

function toRecord(fields: string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) record[fields[i]!] = fields[i + 1]!;
  return record;
}
