import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import type { z } from 'zod';
import { RecordCheck } from '../record-check';
import type { RedisConnections } from '../redis-connections';

export interface RecordHashOptions<T> {
  /** its connection's name (`vigil:<role>`) */
  role: string;
  /** the hash's key, from `keys` in libs/contracts */
  key: string;
  /** what a record is called in the log line about a bad one */
  kind: string;
  schema: z.ZodType<T, z.ZodTypeDef, unknown>;
  /** the field a record is filed under: its own id, checked again on read */
  idOf: (record: T) => string;
}

/**
 * A Redis hash of JSON records by id, written from typed values (checked against the schema first, so a bug here
 * cannot store what readers would refuse) and read back validated: a record anyone else wrote there is skipped and
 * logged once, never cast. Its connection is made on first use: every process has the repositories, few use each.
 */
export class RecordHash<T> {
  private connection?: Redis;
  private readonly check: RecordCheck;

  constructor(
    private readonly connections: RedisConnections,
    private readonly options: RecordHashOptions<T>,
  ) {
    this.check = new RecordCheck(new Logger(options.kind));
  }

  /** Writes every record in one command. */
  async put(...records: T[]): Promise<void> {
    if (records.length === 0) return;
    const { key, schema, idOf } = this.options;
    const fields = records.flatMap((record) => [idOf(record), JSON.stringify(schema.parse(record))]);
    await this.redis().hset(key, ...fields);
  }

  async delete(id: string): Promise<void> {
    await this.redis().hdel(this.options.key, id);
  }

  async get(id: string): Promise<T | undefined> {
    const json = await this.redis().hget(this.options.key, id);
    return json === null ? undefined : this.read(id, json);
  }

  /** The valid records by id. */
  async all(): Promise<Map<string, T>> {
    const all = await this.redis().hgetall(this.options.key);
    const records = new Map<string, T>();
    for (const [id, json] of Object.entries(all)) {
      const record = this.read(id, json);
      if (record !== undefined) records.set(id, record);
    }
    return records;
  }

  private redis(): Redis {
    return (this.connection ??= this.connections.create(this.options.role, { lazyConnect: true }));
  }

  private read(id: string, json: string): T | undefined {
    const { kind, schema, idOf } = this.options;
    return this.check.read(kind, id, json, schema, idOf);
  }
}
