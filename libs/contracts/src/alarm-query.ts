import { z } from 'zod';
import { CAMERA_ID_PATTERN } from './camera';
import { alarmRecordSchema } from './alarm';

export const ALARM_PAGE_DEFAULT = 50;
export const ALARM_PAGE_MAX = 500;

const time = z.union([z.coerce.number().int().nonnegative(), z.string().datetime({ offset: true }).transform((iso) => Date.parse(iso))]);

/**
 * GET /api/alarms query: filters by camera, rule and start time (`since`/`until`: epoch ms or ISO 8601, inclusive),
 * newest first, `limit` per page and the opaque `cursor` of the previous page.
 */
export const alarmQuerySchema = z
  .object({
    camera: z.string().regex(CAMERA_ID_PATTERN, 'not a camera id').optional(),
    rule: z.string().min(1).max(64).optional(),
    since: time.optional(),
    until: time.optional(),
    limit: z.coerce.number().int().min(1).max(ALARM_PAGE_MAX).default(ALARM_PAGE_DEFAULT),
    cursor: z.string().regex(/^\d{1,16}:[0-9a-z]{1,40}$/, 'not a cursor from a previous page').optional(),
  })
  .strict()
  .refine((q) => q.since === undefined || q.until === undefined || q.since <= q.until, { message: 'since must not be after until', path: ['since'] });
export type AlarmQuery = z.output<typeof alarmQuerySchema>;

/** A page of GET /api/alarms. */
export const alarmPageSchema = z
  .object({
    items: z.array(alarmRecordSchema).describe('newest first'),
    next: z.string().nullable().describe('pass as `cursor` for the next page; null on the last page'),
  })
  .strict();
export type AlarmPage = z.infer<typeof alarmPageSchema>;

/** Where the next page starts: just after this alarm (start time, then id, both descending). */
export interface AlarmCursor {
  startedAt: number;
  id: string;
}

export function encodeCursor(cursor: AlarmCursor): string {
  return `${cursor.startedAt}:${cursor.id}`;
}

export function decodeCursor(text: string): AlarmCursor {
  const at = text.indexOf(':');
  return { startedAt: Number(text.slice(0, at)), id: text.slice(at + 1) };
}

/** Whether a listing row (start time, id) comes after the cursor in newest-first order. */
export function isAfterCursor(startedAt: number, id: string, cursor: AlarmCursor): boolean {
  return startedAt < cursor.startedAt || (startedAt === cursor.startedAt && id < cursor.id);
}
