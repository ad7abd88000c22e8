import { createHash } from 'node:crypto';
import { z } from 'zod';
import { maskEndpointUrl, WEBHOOK_EVENT_TYPES, withinLength, type WebhookEventType } from '@vigil/contracts';
import { decodeWebhookSecret } from './signature';

/** One receiver of alarm webhooks, validated. */
export interface WebhookEndpoint {
  /** stable name: part of every delivery's job id, so renaming one re-sends events still in the queue */
  id: string;
  url: string;
  /** `whsec_<base64>` */
  secret: string;
  events: WebhookEventType[];
}

// Ids end up in BullMQ job ids and in log lines; keep them to characters that need no quoting.
const ENDPOINT_ID = /^[A-Za-z0-9_-]{1,64}$/;

const secretSchema = z.string().superRefine((secret, ctx) => {
  try {
    decodeWebhookSecret(secret);
  } catch (error) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
  }
});

const urlSchema = z
  .string()
  .url()
  // zod runs refinements even after .url() failed; an unparsable string is already reported by .url().
  .refine((url) => !URL.canParse(url) || /^https?:$/.test(new URL(url).protocol), 'must be an http:// or https:// URL')
  .superRefine(withinLength('urlLength'));

/** One entry of the config file's `webhooks:` list. */
export const webhookEndpointSchema = z
  .object({
    id: z.string().regex(ENDPOINT_ID, 'must be 1-64 letters, digits, "_" or "-"').optional(),
    url: urlSchema,
    secret: secretSchema,
    events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).nonempty().optional(),
  })
  .strict();

/** The config file's `webhooks:` section. */
export const webhooksConfigSchema = z.array(webhookEndpointSchema);
export type WebhookEndpointConfig = z.input<typeof webhookEndpointSchema>;

export class WebhookConfigError extends Error {
  override name = 'WebhookConfigError';
}

export interface WebhookConfigSources {
  /** WEBHOOK_URL and WEBHOOK_SECRET: the one-endpoint setup */
  env?: { WEBHOOK_URL?: string; WEBHOOK_SECRET?: string };
  /** the config file's `webhooks:` value, not yet validated */
  file?: unknown;
}

/** The id the environment's endpoint gets, so its deliveries keep their job ids across restarts. */
export const ENV_ENDPOINT_ID = 'env';

/**
 * Merges the environment's endpoint and the file's list into one validated list. Throws WebhookConfigError naming
 * the variable or `webhooks[i].field` that is wrong; the message never contains a secret.
 */
export function resolveWebhookEndpoints(sources: WebhookConfigSources): WebhookEndpoint[] {
  const endpoints = [...fromEnv(sources.env ?? {}), ...fromFile(sources.file)];
  const seen = new Map<string, string>();
  for (const endpoint of endpoints) {
    const previous = seen.get(endpoint.id);
    if (previous !== undefined) {
      throw new WebhookConfigError(`webhooks: endpoint id "${endpoint.id}" is used by both ${previous} and ${maskEndpointUrl(endpoint.url)}; give one an id`);
    }
    seen.set(endpoint.id, maskEndpointUrl(endpoint.url));
  }
  return endpoints;
}

function fromEnv(env: NonNullable<WebhookConfigSources['env']>): WebhookEndpoint[] {
  const url = blankToUndefined(env.WEBHOOK_URL);
  const secret = blankToUndefined(env.WEBHOOK_SECRET);
  if (url === undefined && secret === undefined) return [];
  if (url === undefined) throw new WebhookConfigError('WEBHOOK_URL: required when WEBHOOK_SECRET is set');
  if (secret === undefined) throw new WebhookConfigError('WEBHOOK_SECRET: required when WEBHOOK_URL is set (unsigned webhooks are not sent)');
  const parsedUrl = urlSchema.safeParse(url);
  if (!parsedUrl.success) throw new WebhookConfigError(`WEBHOOK_URL: ${parsedUrl.error.issues[0]?.message}`);
  const parsedSecret = secretSchema.safeParse(secret);
  if (!parsedSecret.success) throw new WebhookConfigError(`WEBHOOK_SECRET: ${parsedSecret.error.issues[0]?.message}`);
  return [{ id: ENV_ENDPOINT_ID, url, secret, events: [...WEBHOOK_EVENT_TYPES] }];
}

function fromFile(file: unknown): WebhookEndpoint[] {
  if (file === undefined || file === null) return [];
  const parsed = webhooksConfigSchema.safeParse(file);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((issue) => `${issuePath(issue.path)}: ${issue.message}`).join('; ');
    throw new WebhookConfigError(detail);
  }
  return parsed.data.map((entry) => ({
    id: entry.id ?? urlEndpointId(entry.url),
    url: entry.url,
    secret: entry.secret,
    events: entry.events ? [...new Set(entry.events)] : [...WEBHOOK_EVENT_TYPES],
  }));
}

/** An endpoint without an id is named after its URL, so the name survives restarts and reordering of the list. */
export function urlEndpointId(url: string): string {
  return `url-${createHash('sha256').update(url).digest('hex').slice(0, 12)}`;
}

function issuePath(path: (string | number)[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : `${acc}.${part}`), 'webhooks');
}

function blankToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
