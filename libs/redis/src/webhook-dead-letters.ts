import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { keys, webhookDeadLetterSchema, type WebhookDeadLetter } from '@vigil/contracts';
import { MAX_RECORD_BYTES } from './record-check';

/**
 * The bounded dead-letter list of webhook deliveries (`keys.webhookDeadLetters`): readable by the API and by people,
 * independent of BullMQ's internals. What is read back is checked; entries that do not check out are left out.
 */
export class WebhookDeadLetters {
  private readonly logger = new Logger(WebhookDeadLetters.name);

  /** `redis`: from RedisConnections (its owner closes it) */
  constructor(private readonly redis: Redis) {}

  /** Adds the letter and trims the list to the newest `max` in the same transaction, so it never grows past it. */
  async add(letter: WebhookDeadLetter, max: number): Promise<void> {
    const results = await this.redis.multi().lpush(keys.webhookDeadLetters, JSON.stringify(letter)).ltrim(keys.webhookDeadLetters, 0, max - 1).exec();
    const failed = results?.find(([error]) => error)?.[0];
    if (failed || !results) throw new Error(`writing the dead letter of ${letter.messageId} to ${keys.webhookDeadLetters}: ${failed?.message ?? 'transaction discarded'}`);
  }

  /** Newest first. */
  async list(limit = 100): Promise<WebhookDeadLetter[]> {
    const entries = await this.redis.lrange(keys.webhookDeadLetters, 0, limit - 1);
    const letters = entries.flatMap((entry) => read(entry) ?? []);
    if (letters.length < entries.length) this.logger.warn(`${entries.length - letters.length} entries of ${keys.webhookDeadLetters} are not dead letters and were left out`);
    return letters;
  }
}

function read(entry: string): WebhookDeadLetter | undefined {
  if (entry.length > MAX_RECORD_BYTES) return undefined;
  try {
    const parsed = webhookDeadLetterSchema.safeParse(JSON.parse(entry));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
