import { Injectable, OnModuleDestroy } from '@nestjs/common';
import type Redis from 'ioredis';
import { RedisConnections } from './redis-connections';

export type MessageHandler = (message: Buffer) => void;

/**
 * Subscribes to bus channels (frames, detections) over one Redis connection. Each channel is
 * subscribed in Redis once, when its first handler arrives, and unsubscribed when its last
 * handler leaves, however many viewers share it.
 */
@Injectable()
export class BusSubscriber implements OnModuleDestroy {
  private readonly handlers = new Map<string, Set<MessageHandler>>();
  private client?: Redis;

  constructor(private readonly connections: RedisConnections) {}

  /** Adds a handler; resolves once Redis confirmed the subscription (at once if already subscribed). */
  async add(channel: string, handler: MessageHandler): Promise<void> {
    const existing = this.handlers.get(channel);
    if (existing) {
      existing.add(handler);
      return;
    }
    const set = new Set([handler]);
    this.handlers.set(channel, set);
    try {
      await this.connection().subscribe(channel);
    } catch (error) {
      set.delete(handler);
      if (set.size === 0 && this.handlers.get(channel) === set) this.handlers.delete(channel);
      throw error;
    }
  }

  async remove(channel: string, handler: MessageHandler): Promise<void> {
    const set = this.handlers.get(channel);
    if (!set?.delete(handler) || set.size > 0) return;
    this.handlers.delete(channel);
    await this.connection().unsubscribe(channel);
  }

  /** Channels with at least one handler (what this process holds subscriptions for). */
  subscribedChannels(): string[] {
    return [...this.handlers.keys()];
  }

  onModuleDestroy(): void {
    this.handlers.clear();
  }

  private connection(): Redis {
    if (this.client) return this.client;
    // no CLIENT SETINFO at connect: ioredis can send it after a SUBSCRIBE queued before the connection was up, and
    // Redis refuses it in subscriber mode, failing the first subscriptions of a fresh process (ioredis#2037)
    const client = this.connections.create('bus-subscriber', { disableClientInfo: true });
    client.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      for (const handler of this.handlers.get(channel.toString()) ?? []) handler(message);
    });
    this.client = client;
    return client;
  }
}
