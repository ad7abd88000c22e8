import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { keys, type AlarmWebhookPayload, type WebhookEventType } from '@vigil/contracts';

/** A delivery that failed its last try, as stored in `keys.webhookDeadLetters` (JSON, newest first). */
export interface WebhookDeadLetter {
  messageId: string;
  alarmId: string;
  eventType: WebhookEventType;
  endpoint: { id: string; url: string };
  payload: AlarmWebhookPayload;
  attempts: number;
  lastError: string;
  lastStatus: number | null;
  deadAt: number;
}

/** The bounded dead-letter list in Redis: readable by the API and by people, independent of BullMQ's internals. */
export class WebhookDeadLetters {
  private readonly logger = new Logger(WebhookDeadLetters.name);
  private readonly redis: Redis;

  constructor(redisUrl: string, private readonly max: number) {
    this.redis = new Redis(redisUrl, { connectionName: 'vigil:webhooks-dead', maxRetriesPerRequest: 3, lazyConnect: true });
    // Without a listener ioredis reports every reconnect attempt as an unhandled error; one line per outage is enough.
    let down = false;
    this.redis.on('error', (error: Error) => {
      if (!down) this.logger.warn(`redis (webhook dead letters): ${error.message}`);
      down = true;
    });
    this.redis.on('ready', () => {
      down = false;
    });
  }

  async add(letter: WebhookDeadLetter): Promise<void> {
    // Trimmed in the same transaction so the list never grows past `max`, whatever happens in between.
    const results = await this.redis.multi().lpush(keys.webhookDeadLetters, JSON.stringify(letter)).ltrim(keys.webhookDeadLetters, 0, this.max - 1).exec();
    const failed = results?.find(([error]) => error)?.[0];
    if (failed) throw new Error(`writing the dead letter of ${letter.messageId} to ${keys.webhookDeadLetters}: ${failed.message}`);
  }

  /** Newest first. */
  async list(limit = 100): Promise<WebhookDeadLetter[]> {
    const entries = await this.redis.lrange(keys.webhookDeadLetters, 0, limit - 1);
    return entries.map((entry) => JSON.parse(entry) as WebhookDeadLetter);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
