import { z } from 'zod';
import { MASK, maskText } from '@vigil/contracts';
import { displayNameSchema, epochMsSchema } from './record-fields';

/** What the audit log records. Writers name one of these; readers accept any well-formed name (a newer replica's). */
export const AUDIT_ACTIONS = [
  'camera.create',
  'camera.update',
  'camera.delete',
  'stitch.create',
  'stitch.delete',
  'stitch.calibrate',
  'token.create',
  'token.revoke',
  'user.create',
  'user.update',
  'user.delete',
  'login.success',
  'login.fail',
  'logout',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** `detail`, as JSON, is at most this many characters; a larger one is replaced by a note saying how large it was. */
export const MAX_AUDIT_DETAIL_CHARS = 4096;
/** Nesting kept in `detail`; deeper values are replaced. */
const MAX_DETAIL_DEPTH = 6;
/** Items per array and fields per object looked at, and characters per string kept, before the size is known. */
const MAX_DETAIL_ITEMS = 100;
const MAX_DETAIL_STRING = 1024;
const NO_CONTROLS = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]*$/u;

export const auditActorSchema = z
  .object({
    kind: z.enum(['bootstrap', 'token', 'session', 'jwt', 'anonymous']),
    id: z.string().min(1).max(128).regex(NO_CONTROLS),
    name: displayNameSchema,
  })
  .strict();

export const auditEntrySchema = z
  .object({
    at: epochMsSchema,
    actor: auditActorSchema,
    /** the client address as clientAddress() gives it (an IP), or '' when unknown */
    address: z.string().max(64).regex(/^[0-9A-Za-z:.%_-]*$/),
    action: z.string().max(64).regex(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/),
    /** what was acted on: a camera id, a token or user id, the login name tried */
    target: z.string().min(1).max(256).regex(NO_CONTROLS).optional(),
    /** what changed, secrets masked */
    detail: z
      .record(z.unknown())
      .refine((detail) => JSON.stringify(detail).length <= MAX_AUDIT_DETAIL_CHARS, `must be at most ${MAX_AUDIT_DETAIL_CHARS} characters as JSON`)
      .optional(),
  })
  .strict();
export type AuditEntry = z.infer<typeof auditEntrySchema>;

/** An entry's id: the Redis stream id it was added under. */
export const AUDIT_ID_PATTERN = /^\d{1,20}-\d{1,20}$/;

/** An entry as listed: with its stream id, which is also the cursor for the next page (`before`). */
export const auditRecordSchema = auditEntrySchema.extend({ id: z.string().regex(AUDIT_ID_PATTERN) });
export type AuditRecord = z.infer<typeof auditRecordSchema>;

/** Field names whose values are credentials wherever they stand. */
const SECRET_FIELD = /password|secret|hash|authorization|cookie|credential|^(token|apikey|api_key|sig|signature)$/i;
const TOKEN_TEXT = /vgl_[0-9a-f]{16}_[A-Za-z0-9_-]+/g;

/**
 * `detail` made safe to keep. The caller masks secrets first (it knows which fields hold them); this is the net
 * under that: fields named like secrets become `***`, URLs lose their credentials, API token texts are hidden,
 * nesting and size are bounded. Never throws: an audit line must not fail the write it records.
 */
export function auditDetail(detail: Record<string, unknown>): Record<string, unknown> {
  let safe: Record<string, unknown>;
  try {
    safe = scrub(detail, 0) as Record<string, unknown>;
  } catch {
    return { unreadable: true };
  }
  const length = JSON.stringify(safe).length;
  return length <= MAX_AUDIT_DETAIL_CHARS ? safe : { truncated: true, length };
}

function scrub(value: unknown, depth: number): unknown {
  // masked before it is cut, so a cut cannot split a credential from what marks it as one
  if (typeof value === 'string') return maskText(value).replace(TOKEN_TEXT, MASK).slice(0, MAX_DETAIL_STRING);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value !== 'object') return undefined; // functions, symbols, bigints: nothing JSON can hold
  if (depth >= MAX_DETAIL_DEPTH) return MASK;
  if (Array.isArray(value)) return value.slice(0, MAX_DETAIL_ITEMS).map((item) => scrub(item, depth + 1) ?? null);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value).slice(0, MAX_DETAIL_ITEMS)) out[key] = SECRET_FIELD.test(key) ? MASK : scrub(item, depth + 1);
  return out;
}

/**
 * Text a client chose (a login name tried, say) made fit for `target` or an actor's name: control and format
 * characters become U+FFFD and it is cut to `max` code points.
 */
export function auditText(text: string, max = 128): string {
  const clean = Array.from(text.slice(0, max * 2))
    .slice(0, max)
    .join('')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '\uFFFD');
  return clean.length > 0 ? clean : '\uFFFD';
}
