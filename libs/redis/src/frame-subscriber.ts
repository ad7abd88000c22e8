import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type Redis from 'ioredis';
import { channels, decodeFrame, type Frame, type StreamName } from '@vigil/contracts';
import { RedisConnections } from './redis-connections';

export type FrameHandler = (frame: Frame) => void;
export type BadMessageHandler = (channel: string, error: Error) => void;

/**
 * Subscribes to frame channels over one Redis connection. Each channel is subscribed in Redis
 * once, when its first handler arrives, and unsubscribed when its last handler leaves, however
 * many viewers share it. Each message is decoded once for all handlers.
 */
@Injectable()
export class FrameSubscriber implements OnModuleDestroy {
  private readonly logger = new Logger(FrameSubscriber.name);
  private readonly handlers = new Map<string, Set<FrameHandler>>();
  private client?: Redis;
  private onBadMessage: BadMessageHandler = (channel, error) => this.logger.warn(`dropped a bad message on ${channel}: ${error.message}`);

  constructor(private readonly connections: RedisConnections) {}

  setBadMessageHandler(handler: BadMessageHandler): void {
    this.onBadMessage = handler;
  }

  /** Adds a handler; resolves once Redis confirmed the subscription (immediately if already subscribed). */
  async add(camera: string, stream: StreamName, handler: FrameHandler): Promise<void> {
    const channel = channels.frames(camera, stream);
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      set.add(handler);
      try {
        await this.connection().subscribe(channel);
      } catch (error) {
        set.delete(handler);
        if (set.size === 0 && this.handlers.get(channel) === set) this.handlers.delete(channel);
        throw error;
      }
      return;
    }
    set.add(handler);
  }

  async remove(camera: string, stream: StreamName, handler: FrameHandler): Promise<void> {
    const channel = channels.frames(camera, stream);
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
    const client = this.connections.create('frames-subscriber');
    client.on('messageBuffer', (channelBytes: Buffer, message: Buffer) => this.dispatch(channelBytes.toString(), message));
    this.client = client;
    return client;
  }

  private dispatch(channel: string, message: Buffer): void {
    const set = this.handlers.get(channel);
    if (!set || set.size === 0) return;
    let frame: Frame;
    try {
      frame = decodeFrame(message);
    } catch (error) {
      this.onBadMessage(channel, error as Error);
      return;
    }
    for (const handler of set) handler(frame);
  }
}
