import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Server, Socket } from 'socket.io';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { channels, decodeFrame, type AlarmEvent, type ClientFormat, type DetectionsEvent, type Frame, type FrameEvent, type StreamName } from '@vigil/contracts';
import { BusSubscriber, type MessageHandler } from '@vigil/redis';
import { PublishMetrics } from './publish-metrics';

interface Feed {
  camera: string;
  stream: StreamName;
  handler: MessageHandler;
  /** socket id -> formats that socket asked for */
  viewers: Map<string, Set<ClientFormat>>;
}

interface CameraWatch {
  handler: MessageHandler;
  alarmHandler: MessageHandler;
  /** socket id -> number of feeds of this camera it watches */
  sockets: Map<string, number>;
}

const FORMATS: readonly ClientFormat[] = ['jpeg', 'base64'];

/**
 * Fans frames and detections out from Redis to Socket.IO clients: one Redis subscription per
 * camera and stream however many clients watch, one payload per format per frame (base64 is
 * encoded once, not once per client), and a cap on what each client may have queued: a client
 * that does not read has its frames dropped and counted, and never delays the others or grows
 * the server's memory. Detections and alarm events of a camera go to every client watching any of its streams.
 */
@Injectable()
export class FrameFanout {
  private readonly logger = new Logger('Fanout');
  private readonly feeds = new Map<string, Feed>();
  private readonly watches = new Map<string, CameraWatch>();
  private server?: Server;
  /** engine.io packets a client may have waiting; a binary frame is two packets (header + attachment) */
  private readonly maxQueuedPackets: number;

  constructor(
    private readonly bus: BusSubscriber,
    private readonly metrics: PublishMetrics,
    @Inject(VIGIL_CONFIG) config: VigilConfig,
  ) {
    this.maxQueuedPackets = config.clientQueueMax * 2;
  }

  attach(server: Server): void {
    this.server = server;
  }

  async subscribe(socket: Socket, camera: string, stream: StreamName, format: ClientFormat): Promise<void> {
    const key = feedKey(camera, stream);
    let feed = this.feeds.get(key);
    if (!feed) {
      const created: Feed = { camera, stream, viewers: new Map(), handler: (message) => this.deliverFrame(created, message) };
      feed = created;
      this.feeds.set(key, feed);
    }
    const formats = feed.viewers.get(socket.id) ?? new Set<ClientFormat>();
    const newViewer = formats.size === 0;
    feed.viewers.set(socket.id, formats);
    formats.add(format);
    await socket.join(roomName(camera, stream, format));
    this.metrics.viewers.set({ camera, stream }, feed.viewers.size);
    try {
      if (newViewer) await this.watch(socket, camera);
      await this.bus.add(channels.frames(camera, stream), feed.handler);
    } catch (error) {
      await this.unsubscribe(socket, camera, stream);
      throw error;
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
    if (formats.size === 0) {
      feed.viewers.delete(socket.id);
      await this.unwatch(socket, camera);
    }
    this.metrics.viewers.set({ camera, stream }, feed.viewers.size);
    if (feed.viewers.size === 0) {
      this.feeds.delete(key);
      await this.bus.remove(channels.frames(camera, stream), feed.handler);
    }
    return true;
  }

  async disconnect(socket: Socket): Promise<void> {
    for (const feed of [...this.feeds.values()]) {
      if (feed.viewers.has(socket.id)) await this.unsubscribe(socket, feed.camera, feed.stream);
    }
  }

  private async watch(socket: Socket, camera: string): Promise<void> {
    let watch = this.watches.get(camera);
    if (!watch) {
      watch = {
        sockets: new Map(),
        handler: (message) => this.relay(camera, 'detections', channels.detections(camera), message),
        alarmHandler: (message) => this.relay(camera, 'alarm', channels.alarms(camera), message),
      };
      this.watches.set(camera, watch);
    }
    watch.sockets.set(socket.id, (watch.sockets.get(socket.id) ?? 0) + 1);
    await socket.join(detectionsRoom(camera));
    await this.bus.add(channels.detections(camera), watch.handler);
    await this.bus.add(channels.alarms(camera), watch.alarmHandler);
  }

  private async unwatch(socket: Socket, camera: string): Promise<void> {
    const watch = this.watches.get(camera);
    const count = watch?.sockets.get(socket.id);
    if (!watch || count === undefined) return;
    if (count > 1) {
      watch.sockets.set(socket.id, count - 1);
      return;
    }
    watch.sockets.delete(socket.id);
    await socket.leave(detectionsRoom(camera));
    if (watch.sockets.size === 0) {
      this.watches.delete(camera);
      await this.bus.remove(channels.detections(camera), watch.handler);
      await this.bus.remove(channels.alarms(camera), watch.alarmHandler);
    }
  }

  /**
   * Detections and alarms are small JSON events: every client watching the camera gets them as they come, never
   * dropped for a full queue (alarms are rare, detections one per inferred frame).
   */
  private relay(camera: string, name: 'detections' | 'alarm', channel: string, message: Buffer): void {
    let event: DetectionsEvent | AlarmEvent;
    try {
      event = JSON.parse(message.toString('utf8')) as DetectionsEvent | AlarmEvent;
    } catch (error) {
      this.badMessage(channel, error as Error);
      return;
    }
    this.server?.to(detectionsRoom(camera)).emit(name, event);
  }

  private deliverFrame(feed: Feed, message: Buffer): void {
    const server = this.server;
    if (!server) return;
    let frame: Frame;
    try {
      frame = decodeFrame(message);
    } catch (error) {
      this.badMessage(channels.frames(feed.camera, feed.stream), error as Error);
      return;
    }
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

  private badMessage(channel: string, error: Error): void {
    this.metrics.badMessages.inc({ channel });
    this.logger.warn(`dropped a bad message on ${channel}: ${error.message}`);
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

function detectionsRoom(camera: string): string {
  return `detections:${camera}`;
}
