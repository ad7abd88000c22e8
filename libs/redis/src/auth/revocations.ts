import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { revocationSchema, type Revocation } from '@vigil/auth';
import { channels } from '@vigil/contracts';
import { ThrottledLog } from '@vigil/metrics';

/** A revocation message is a few dozen bytes; anything much longer is not one. */
const MAX_MESSAGE_BYTES = 512;
const BAD_MESSAGE_LOG_MS = 60_000;

export type RevocationHandler = (revocation: Revocation) => void;

export interface RevocationSubscription {
  /** Unsubscribes (the connection stays the caller's to close). */
  stop(): Promise<void>;
}

/**
 * Announces ended credentials on one pub/sub channel so every replica drops their sockets at once. Pub/sub is
 * at-most-once: a replica whose subscriber connection was down missed what was published meanwhile, so
 * `onReconnected` tells it to check its sockets' credentials again.
 */
export class Revocations {
  private readonly badMessages: ThrottledLog;

  constructor(
    private readonly redis: Redis,
    logger: Pick<Logger, 'warn'> = new Logger(Revocations.name),
  ) {
    this.badMessages = new ThrottledLog((line) => logger.warn(line), { intervalMs: BAD_MESSAGE_LOG_MS });
  }

  async publish(revocation: Revocation): Promise<void> {
    await this.redis.publish(channels.authRevocations, JSON.stringify(revocationSchema.parse(revocation)));
  }

  /**
   * Calls `handler` with each valid revocation; a malformed message is dropped and logged (once a minute).
   * `subscriber` must be a connection of its own: a subscribed connection runs no other commands.
   */
  async subscribe(subscriber: Redis, handler: RevocationHandler, onReconnected?: () => void): Promise<RevocationSubscription> {
    const onMessage = (channel: string, message: string): void => {
      if (channel !== channels.authRevocations) return;
      const revocation = this.parse(message);
      if (revocation) handler(revocation);
    };
    // ioredis subscribes again by itself after a reconnect; what was published in between is lost. Subscribing
    // once more (harmless) gives a reply that comes after the resubscription: only then is nothing missed any more.
    const onReady = (): void => {
      subscriber.subscribe(channels.authRevocations).then(
        () => onReconnected?.(),
        () => undefined, // down again: the next 'ready' tries again
      );
    };
    subscriber.on('message', onMessage);
    await subscriber.subscribe(channels.authRevocations);
    subscriber.on('ready', onReady);
    return {
      stop: async () => {
        subscriber.off('message', onMessage);
        subscriber.off('ready', onReady);
        await subscriber.unsubscribe(channels.authRevocations).catch(() => undefined);
      },
    };
  }

  private parse(message: string): Revocation | undefined {
    if (message.length > MAX_MESSAGE_BYTES) {
      this.badMessages.log('size', `a revocation message of ${message.length} bytes was dropped (at most ${MAX_MESSAGE_BYTES})`);
      return undefined;
    }
    let value: unknown;
    try {
      value = JSON.parse(message);
    } catch {
      this.badMessages.log('json', 'a revocation message that is not JSON was dropped');
      return undefined;
    }
    const parsed = revocationSchema.safeParse(value);
    if (parsed.success) return parsed.data;
    this.badMessages.log('schema', `a revocation message was dropped: ${parsed.error.issues[0]!.path.join('.') || 'message'}: ${parsed.error.issues[0]!.message}`);
    return undefined;
  }
}
