import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { z } from 'zod';
import { AUDIT_ID_PATTERN, auditDetail, auditEntrySchema, auditRecordSchema, auditText, type AuditAction, type AuditEntry } from '@vigil/auth';
import { authKeys } from '@vigil/contracts';
import { RecordCheck } from '../record-check';

export interface AuditLogOptions {
  /** entries kept, about (the stream is trimmed with MAXLEN ~, in whole nodes of up to 100 entries). @default 10_000 */
  maxEntries?: number;
  logger?: Pick<Logger, 'warn'>;
}

export const DEFAULT_AUDIT_OPTIONS = { maxEntries: 10_000 } as const;
/** Entries one list() call returns at most. */
export const MAX_AUDIT_PAGE = 1000;

/** What a caller records; `detail` must already have its secrets masked (auditDetail is a net, not the mask). */
export type AuditInput = Omit<AuditEntry, 'action'> & { action: AuditAction };

/** A page of GET /api/audit. */
export const auditPageSchema = z
  .object({
    items: z.array(auditRecordSchema).describe('newest first'),
    next: z.string().nullable().describe('pass as `before` for the next (older) page; null on the last page'),
  })
  .strict();
export type AuditPage = z.infer<typeof auditPageSchema>;

/** The audit log: a capped Redis stream of who did what, when, from where. Entries read back are checked. */
export class AuditLog {
  private readonly maxEntries: number;
  private readonly check: RecordCheck;

  constructor(
    private readonly redis: Redis,
    options: AuditLogOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? DEFAULT_AUDIT_OPTIONS.maxEntries;
    this.check = new RecordCheck(options.logger ?? new Logger(AuditLog.name));
  }

  /**
   * Appends an entry; returns its id. Names and the target may be any text (a login name tried): control
   * characters are replaced and length cut here. Throws only for an entry that is malformed otherwise.
   */
  async record(input: AuditInput): Promise<string> {
    const entry = auditEntrySchema.parse({
      ...input,
      actor: { ...input.actor, id: auditText(input.actor.id), name: auditText(input.actor.name) },
      target: input.target === undefined ? undefined : auditText(input.target, 256),
      detail: input.detail === undefined ? undefined : auditDetail(input.detail),
    });
    const id = await this.redis.xadd(authKeys.audit, 'MAXLEN', '~', this.maxEntries, '*', 'entry', JSON.stringify(entry));
    return id!;
  }

  /** Newest first, `count` entries (1..MAX_AUDIT_PAGE) older than the entry `before`; bad entries are skipped. */
  async list({ count = 100, before }: { count?: number; before?: string } = {}): Promise<AuditPage> {
    if (!Number.isInteger(count) || count < 1 || count > MAX_AUDIT_PAGE) throw new RangeError(`count must be 1 to ${MAX_AUDIT_PAGE}, not ${count}`);
    if (before !== undefined && !AUDIT_ID_PATTERN.test(before)) throw new RangeError('before must be an audit entry id');
    const rows = await this.redis.xrevrange(authKeys.audit, before === undefined ? '+' : `(${before}`, '-', 'COUNT', count);
    const items = rows.flatMap(([id, fields]) => {
      const record = this.check.read('audit entry', id, entryField(fields), auditEntrySchema, () => id);
      return record ? [{ id, ...record }] : [];
    });
    // the cursor is the last row read, valid or not, so a bad entry does not stop the paging
    return { items, next: rows.length === count ? rows[rows.length - 1]![0] : null };
  }
}

function entryField(fields: string[]): string {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'entry') return fields[i + 1]!;
  return '';
}
