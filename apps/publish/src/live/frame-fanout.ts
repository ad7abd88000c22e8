import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Server, Socket } from 'socket.io';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import type { ClientFormat, Frame, FrameEvent, StreamName } from '@vigil/contracts';
import { FrameSubscriber, type FrameHandler } from '@vigil/redis';
import { PublishMetrics } from './publish-metrics';

interface Feed {
  camera: string;
  stream: StreamName;
  handler: FrameHandler;
  /** socket id -> formats that socket asked for */
  viewers: Map<string, Set<ClientFormat>>;
}

const FORMATS: readonly ClientFormat[] = ['jpeg', 'base64'];

/**
 * Fans frames out from Redis to Socket.IO clients: one Redis subscription per camera and stream
 * however many clients watch, one payload per format per frame (base64 is encoded once, not once
 * per client), and a cap on what each client may have queued: a client that does not read has
 * its frames dropped and counted, and never delays the others or grows the server's memory.
 */
@Injectable()
export class FrameFanout {
  private readonly logger = new Logger('Fanout');
  private readonly feeds = new Map<string, Feed>();
  private server?: Server;
  /** engine.io packets a client may have waiting; a binary frame is two packets (header + attachment) */
  private readonly maxQueuedPackets: number;

  constructor(
    private readonly subscriber: FrameSubscriber,
    private readonly metrics: PublishMetrics,
    @Inject(VIGIL_CONFIG) config: VigilConfig,
  ) {
    this.maxQueuedPackets = config.clientQueueMax * 2;
    subscriber.setBadMessageHandler((channel, error) => {
      this.metrics.badMessages.inc({ channel });
      this.logger.warn(`dropped a bad message on ${channel}: ${error.message}`);
    });
  }

  attach(server: Server): void {
    this.server = server;
  }

  async subscribe(socket: Socket, camera: string, stream: StreamName, format: ClientFormat): Promise<void> {
    const key = feedKey(camera, stream);
    let feed = this.feeds.get(key);
    if (!feed) {
      const created: Feed = { camera, stream, viewers: new Map(), handler: (frame) => this.deliver(created, frame) };
      feed = created;
      this.feeds.set(key, feed);
    }
    const formats = feed.viewers.get(socket.id) ?? new Set<ClientFormat>();
    feed.viewers.set(socket.id, formats);
    formats.add(format);
    await socket.join(roomName(camera, stream, format));
    this.metrics.viewers.set({ camera, stream }, feed.viewers.size);
    if (feed.viewers.size === 1 && formats.size === 1) {
      try {
        await this.subscriber.add(camera, stream, feed.handler);
      } catch (error) {
        await this.unsubscribe(socket, camera, stream);
        throw error;
      }
    }
  }

  /** Removes a client's subscription (every format when `format` is omitted). */
  async unsubscribe(socket: Socket, camera: string, stream: StreamName, format?: ClientFormat): Promise<boolean> {
    const key = feedKey(camera, stream);
    const feed = this.feeds.get(key);
    const formats = feed?.viewers.get(socket.id);
    if (!feed || !formats) return false;
    for (const f of format ? [format] : [...formats]) {
      formats.delete(f);
      await socket.leave(roomName(camera, stream, f));
    }
    if (formats.size === 0) feed.viewers.delete(socket.id);
    this.metrics.viewers.set({ camera, stream }, feed.viewers.size);
    if (feed.viewers.size === 0) {
      this.feeds.delete(key);
      await this.subscriber.remove(camera, stream, feed.handler);
    }
    return true;
  }

  async disconnect(socket: Socket): Promise<void> {
    for (const feed of [...this.feeds.values()]) {
      if (feed.viewers.has(socket.id)) await this.unsubscribe(socket, feed.camera, feed.stream);
    }
  }

  private deliver(feed: Feed, frame: Frame): void {
    const server = this.server;
    if (!server) return;
    const labels = { camera: feed.camera, stream: feed.stream };
    this.metrics.framesIn.inc(labels);
    for (const format of FORMATS) {
      const room = roomName(feed.camera, feed.stream, format);
      const members = server.sockets.adapter.rooms.get(room);
      if (!members || members.size === 0) continue;
      const slow: string[] = [];
      for (const id of members) {
        if (queuedPackets(server.sockets.sockets.get(id)) >= this.maxQueuedPackets) slow.push(id);
      }
      if (slow.length > 0) this.metrics.dropped.inc({ ...labels, reason: 'slow_client' }, slow.length);
      const receivers = members.size - slow.length;
      if (receivers === 0) continue;
      const event: FrameEvent = {
        camera: frame.camera,
        stream: feed.stream,
        seq: frame.seq,
        ts: frame.ts,
        width: frame.width,
        height: frame.height,
        format: format === 'base64' ? 'base64' : frame.format,
        data: format === 'base64' ? frame.data.toString('base64') : frame.data,
      };
      (slow.length > 0 ? server.to(room).except(slow) : server.to(room)).emit('frame', event);
      this.metrics.framesOut.inc({ ...labels, format }, receivers);
    }
  }
}

/**
 * Packets engine.io holds for a client because its transport is not writable (the client is not
 * reading, so TCP pushes back). Not in socket.io's typings, but the documented way to detect it.
 */
function queuedPackets(socket: Socket | undefined): number {
  return (socket?.conn as unknown as { writeBuffer?: unknown[] } | undefined)?.writeBuffer?.length ?? 0;
}

function feedKey(camera: string, stream: StreamName): string {
  return `${camera}\u0000${stream}`;
}

function roomName(camera: string, stream: StreamName, format: ClientFormat): string {
  return `frames:${camera}:${stream}:${format}`;
}
