import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type Redis from 'ioredis';
import { ThrottledLog } from '@vigil/metrics';
import { RedisConnections } from './redis-connections';

export type MessageHandler = (message: Buffer) => void;

interface Channel {
  handlers: Set<MessageHandler>;
  /** Redis's confirmation of the SUBSCRIBE; every handler added meanwhile waits for it too */
  subscribed: Promise<unknown>;
}

interface CameraLink {
  client: Redis;
  channels: Map<string, Channel>;
  /** set once its last channel went: the close that follows is ours */
  released?: boolean;
}

/** a camera whose connection Redis keeps closing is logged once a minute */
const CLOSED_LOG_INTERVAL_MS = 60_000;

/**
 * Subscribes to bus channels (frames, detections, alarm events) with one Redis connection per camera. Redis closes
 * a subscriber whose unread messages pass `client-output-buffer-limit pubsub` (32 MiB at once, or 8 MiB for a
 * minute): over one shared connection, a camera sending huge frames to a busy process cut every camera's messages
 * at once, again and again (measured: a camera with 5 MiB frames at 10 fps took half the frames of another camera
 * with it). Per camera, only that camera's connection is closed (ioredis then reconnects and subscribes again).
 *
 * Each channel is subscribed in Redis once, when its first handler arrives, and unsubscribed when its last handler
 * leaves; a camera's connection closes with its last channel.
 */
@Injectable()
export class BusSubscriber implements OnModuleDestroy {
  private readonly links = new Map<string, CameraLink>();
  private readonly closedLog = new ThrottledLog((line) => new Logger('Bus').warn(line), { intervalMs: CLOSED_LOG_INTERVAL_MS });

  constructor(private readonly connections: RedisConnections) {}

  /** Adds a handler to `camera`'s `channel`; resolves once Redis confirmed the subscription. */
  async add(camera: string, channel: string, handler: MessageHandler): Promise<void> {
    const link = this.link(camera);
    let entry = link.channels.get(channel);
    if (!entry) {
      entry = { handlers: new Set(), subscribed: link.client.subscribe(channel) };
      link.channels.set(channel, entry);
    }
    entry.handlers.add(handler);
    try {
      await entry.subscribed;
    } catch (error) {
      await this.remove(camera, channel, handler);
      throw error;
    }
  }

  async remove(camera: string, channel: string, handler: MessageHandler): Promise<void> {
    const link = this.links.get(camera);
    const entry = link?.channels.get(channel);
    if (!link || !entry?.handlers.delete(handler) || entry.handlers.size > 0) return;
    link.channels.delete(channel);
    if (link.channels.size > 0) {
      await link.client.unsubscribe(channel).catch(() => undefined); // a lost connection holds no subscription
      return;
    }
    this.links.delete(camera);
    link.released = true;
    await this.connections.close(link.client);
  }

  /** Channels with at least one handler (what this process holds subscriptions for). */
  subscribedChannels(): string[] {
    return [...this.links.values()].flatMap((link) => [...link.channels.keys()]);
  }

  /** RedisConnections closes the connections next: those closes are ours, not Redis's. */
  onModuleDestroy(): void {
    for (const link of this.links.values()) link.released = true;
    this.links.clear();
  }

  private link(camera: string): CameraLink {
    const existing = this.links.get(camera);
    if (existing) return existing;
    // no CLIENT SETINFO at connect: ioredis can send it after a SUBSCRIBE queued before the connection was up, and
    // Redis refuses it in subscriber mode, failing the first subscriptions of a fresh process (ioredis#2037)
    const client = this.connections.create(`bus:${camera}`, { disableClientInfo: true });
    const link: CameraLink = { client, channels: new Map() };
    client.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      for (const handler of link.channels.get(channel.toString())?.handlers ?? []) handler(message);
    });
    client.on('close', () => {
      if (link.released) return;
      this.closedLog.log(camera, `camera ${camera}: its bus connection closed (Redis closes a subscriber that falls behind by client-output-buffer-limit pubsub); reconnecting`);
    });
    this.links.set(camera, link);
    return link;
  }
}
