import { createHmac, timingSafeEqual } from 'node:crypto';

/** Standard Webhooks headers; receivers look them up by these exact (lower-case) names. */
export const WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

const SECRET_PREFIX = 'whsec_';
// The spec asks for 24 to 64 random bytes; shorter keys are guessable, longer ones are a sign of a pasted wrong value.
export const SECRET_MIN_BYTES = 24;
export const SECRET_MAX_BYTES = 64;
/** Replay window a receiver accepts around its own clock (the spec libraries use five minutes). */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
}

/** Decodes a `whsec_<base64>` secret to its key bytes; throws with the reason when it is malformed. */
export function decodeWebhookSecret(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error(`must start with "${SECRET_PREFIX}"`);
  const encoded = secret.slice(SECRET_PREFIX.length);
  // Buffer.from(…, 'base64') skips characters it does not know, so check the alphabet first or a typo would
  // silently become a different key.
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    throw new Error(`must be "${SECRET_PREFIX}" followed by standard base64`);
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length < SECRET_MIN_BYTES || key.length > SECRET_MAX_BYTES) {
    throw new Error(`key must be ${SECRET_MIN_BYTES} to ${SECRET_MAX_BYTES} bytes, got ${key.length}`);
  }
  return key;
}

export interface SignInput {
  /** `webhook-id`: the same on every retry of one event, so receivers can drop duplicates */
  id: string;
  /** `webhook-timestamp`: unix seconds of this attempt */
  timestamp: number;
  /** the exact body bytes that are sent */
  body: string;
}

/** `v1,<base64 HMAC-SHA256>` over `id.timestamp.body`. */
export function signWebhook(secret: string | Buffer, input: SignInput): string {
  const key = typeof secret === 'string' ? decodeWebhookSecret(secret) : secret;
  return `v1,${hmac(key, input)}`;
}

/** The three Standard Webhooks headers for one attempt. */
export function webhookHeaders(secret: string | Buffer, input: SignInput): Record<string, string> {
  return {
    [WEBHOOK_HEADERS.id]: input.id,
    [WEBHOOK_HEADERS.timestamp]: String(input.timestamp),
    [WEBHOOK_HEADERS.signature]: signWebhook(secret, input),
  };
}

export interface VerifyOptions {
  /** Default DEFAULT_TOLERANCE_SECONDS. */
  toleranceSeconds?: number;
  /** Default Date.now(); tests pass a fixed clock. */
  nowMs?: number;
}

type HeaderBag = Record<string, string | string[] | undefined> | Headers;

/**
 * Checks a received webhook; throws WebhookVerificationError saying what is wrong, returns the message id (the
 * idempotency key) when one of the space-separated `v1` signatures matches.
 */
export function verifyWebhook(secret: string | Buffer, body: string, headers: HeaderBag, options: VerifyOptions = {}): { id: string; timestamp: number } {
  const key = typeof secret === 'string' ? decodeWebhookSecret(secret) : secret;
  const id = header(headers, WEBHOOK_HEADERS.id);
  const timestampText = header(headers, WEBHOOK_HEADERS.timestamp);
  const signatures = header(headers, WEBHOOK_HEADERS.signature);
  if (!id || !timestampText || !signatures) throw new WebhookVerificationError('missing webhook-id, webhook-timestamp or webhook-signature header');
  if (!/^\d+$/.test(timestampText)) throw new WebhookVerificationError(`webhook-timestamp is not unix seconds: "${timestampText}"`);

  const timestamp = Number(timestampText);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = Math.floor((options.nowMs ?? Date.now()) / 1000);
  if (Math.abs(now - timestamp) > tolerance) {
    throw new WebhookVerificationError(`webhook-timestamp ${timestamp} is more than ${tolerance} s from now (${now})`);
  }

  const expected = Buffer.from(hmac(key, { id, timestamp, body }), 'base64');
  for (const entry of signatures.split(' ')) {
    const [version, encoded] = entry.split(',', 2);
    // Other schemes (v1a, future versions) may sit beside ours during a migration; they are not ours to check.
    if (version !== 'v1' || !encoded) continue;
    const candidate = Buffer.from(encoded, 'base64');
    if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) return { id, timestamp };
  }
  throw new WebhookVerificationError(`no matching v1 signature for webhook ${id}`);
}

function hmac(key: Buffer, { id, timestamp, body }: SignInput): string {
  return createHmac('sha256', key).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64');
}

function header(headers: HeaderBag, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
