import type { Logger } from '@nestjs/common';
import type { z } from 'zod';

/** Distinct bad records remembered so each is logged once; past this many, the oldest is forgotten. */
const REMEMBERED = 1000;
/** Records longer than this are refused unread: a registry entry is a few KB at most. */
export const MAX_RECORD_BYTES = 256 * 1024;

/**
 * Checks a record read back from Redis like any other input: anyone who can write to Redis may
 * have put it there. A bad record is skipped and logged once (naming its key, not its content),
 * never used: its fields would otherwise reach pipelines, the API and the page.
 */
export class RecordCheck {
  private readonly logged = new Set<string>();

  constructor(private readonly logger: Pick<Logger, 'warn'>) {}

  read<T>(kind: string, key: string, json: string, schema: z.ZodType<T, z.ZodTypeDef, unknown>, idOf: (record: T) => string): T | undefined {
    const problem = this.problem(key, json, schema, idOf);
    if (typeof problem !== 'string') return problem.record;
    this.warnOnce(`${kind} ${JSON.stringify(key.slice(0, 80))} in Redis is ignored: ${problem}`);
    return undefined;
  }

  private problem<T>(key: string, json: string, schema: z.ZodType<T, z.ZodTypeDef, unknown>, idOf: (record: T) => string): string | { record: T } {
    if (json.length > MAX_RECORD_BYTES) return `it is ${json.length} bytes (at most ${MAX_RECORD_BYTES})`;
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      return 'it is not JSON';
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return `${issue.path.join('.') || 'record'}: ${issue.message}`;
    }
    if (idOf(parsed.data) !== key) return 'its id does not match its key';
    return { record: parsed.data };
  }

  private warnOnce(line: string): void {
    if (this.logged.has(line)) return;
    if (this.logged.size >= REMEMBERED) this.logged.delete(this.logged.values().next().value!);
    this.logged.add(line);
    this.logger.warn(line);
  }
}
