import { Inject, Injectable } from '@nestjs/common';
import type { Server, Socket } from 'socket.io';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import {
  channels,
  readAlarmMessage,
  readDetectionsMessage,
  readFrameMessage,
  type AlarmEvent,
  type ClientFormat,
  type DetectionsEvent,
  type FrameEvent,
  type StreamName,
} from '@vigil/contracts';
import { BusSubscriber, type MessageHandler } from '@vigil/redis';
import { PublishMetrics } from './publish-metrics';
import { queuedPackets } from './slow-clients';

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

/** A subscription refused by a bound; the message names the bound. */
export class SubscriptionRefused extends Error {
  override name = 'SubscriptionRefused';
}

const FORMATS: readonly ClientFormat[] = ['jpeg', 'base64'];

/**
 * Fans frames and detections out from Redis to Socket.IO clients: one Redis subscription per camera and stream
 * however many clients watch, one payload per format per frame (base64 is encoded once, not once per client), and a
 * cap on what each client may have queued: a client that does not read has its frames dropped and counted, then its
 * detections, and an alarm event disconnects it rather than queue without bound; it never delays the others or grows
 * the server's memory. Detections and alarm events of a camera go to every client watching any of its streams.
 *
 * Every change of state is made at once, before any await, and every await is followed by a check that the socket
 * is still connected: a socket that disconnected meanwhile had its state removed by `disconnect`, and whatever the
 * request added after that is removed again. Otherwise its viewer count, rooms and Redis subscription leaked for good.
 */
@Injectable()
export class FrameFanout {
  private readonly feeds = new Map<string, Feed>();
  private readonly watches = new Map<string, CameraWatch>();
  /** socket id -> subscriptions it holds (camera, stream and format each) */
  private readonly held = new Map<string, number>();
  private server?: Server;
  /** engine.io packets a client may have waiting before its frames are dropped; a binary frame is two (header + attachment) */
  private readonly maxQueuedFramePackets: number;

  constructor(
    private readonly bus: BusSubscriber,
    private readonly metrics: PublishMetrics,
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
  ) {
    this.maxQueuedFramePackets = config.clientQueueMax * 2;
  }

  attach(server: Server): void {
    this.server = server;
  }

  /** What the fanout holds: all zero once every client left, whatever order their requests and disconnects came in. */
  holdings(): { feeds: number; cameras: number; subscriptions: number } {
    let subscriptions = 0;
    for (const count of this.held.values()) subscriptions += count;
    return { feeds: this.feeds.size, cameras: this.watches.size, subscriptions };
  }

  /**
   * Subscribes a socket to a camera's stream in a format. True once subscribed, false when the socket disconnected
   * meanwhile (nothing of it is left). Throws SubscriptionRefused past SOCKET_SUBSCRIPTIONS_MAX.
   */
  async subscribe(socket: Socket, camera: string, stream: StreamName, format: ClientFormat): Promise<boolean> {
    if (!socket.connected) return false;
    const key = feedKey(camera, stream);
    const feed = this.feeds.get(key) ?? this.newFeed(camera, stream);
    const formats = feed.viewers.get(socket.id) ?? new Set<ClientFormat>();
    if (formats.has(format)) return true;
    const held = this.held.get(socket.id) ?? 0;
    const max = this.config.socket.subscriptionsMax;
    if (held >= max) throw new SubscriptionRefused(`this connection holds ${held} subscriptions, the most SOCKET_SUBSCRIPTIONS_MAX (${max}) allows: unsubscribe first`);
    this.feeds.set(key, feed);
    const newViewer = formats.size === 0;
    formats.add(format);
    feed.viewers.set(socket.id, formats);
    this.held.set(socket.id, held + 1);
    const watch = this.watches.get(camera) ?? this.newWatch(camera);
    if (newViewer) watch.sockets.set(socket.id, (watch.sockets.get(socket.id) ?? 0) + 1);
    this.metrics.viewers.set({ camera, stream }, feed.viewers.size);
    try {
      // both rooms at once, before any await: a socket that is connected now is in them before it can disconnect
      await socket.join([roomName(camera, stream, format), detectionsRoom(camera)]);
      for (const [channel, handler] of [
        [channels.frames(camera, stream), feed.handler],
        [channels.detections(camera), watch.handler],
        [channels.alarms(camera), watch.alarmHandler],
      ] as const) {
        if (!socket.connected) break;
        // resolves once Redis confirmed it, also when another socket's request subscribed it first
        await this.bus.add(camera, channel, handler);
      }
    } catch (error) {
      await this.unsubscribe(socket, camera, stream, format);
      await this.dropOrphans(camera, feed, watch);
      throw error;
    }
    if (!socket.connected) await this.disconnect(socket);
    // a disconnect or an unsubscribe while this waited removed the feed or the watch: so go their subscriptions
    await this.dropOrphans(camera, feed, watch);
    return socket.connected;
  }

  /** Unsubscribes the handlers of a feed or watch no longer in use (a newer one of the same camera has its own). */
  private async dropOrphans(camera: string, feed: Feed, watch: CameraWatch): Promise<void> {
    if (this.feeds.get(feedKey(camera, feed.stream)) !== feed) await this.bus.remove(camera, channels.frames(camera, feed.stream), feed.handler);
    if (this.watches.get(camera) !== watch) {
      await this.bus.remove(camera, channels.detections(camera), watch.handler);
      await this.bus.remove(camera, channels.alarms(camera), watch.alarmHandler);
    }
  }

  /** Removes a client's subscription (every format when `format` is omitted); false when it had none. */
  async unsubscribe(socket: Socket, camera: string, stream: StreamName, format?: ClientFormat): Promise<boolean> {
    const key = feedKey(camera, stream);
    const feed = this.feeds.get(key);
    const formats = feed?.viewers.get(socket.id);
    const leaving = format ? (formats?.has(format) ? [format] : []) : [...(formats ?? [])];
    if (!feed || !formats || leaving.length === 0) return false;
    for (const f of leaving) formats.delete(f);
    this.release(socket.id, leaving.length);
    const lastOfFeed = formats.size === 0;
    if (lastOfFeed) feed.viewers.delete(socket.id);
    const watch = lastOfFeed ? this.unwatch(socket.id, camera) : { leftCamera: false };
    const feedEmpty = feed.viewers.size === 0;
    if (feedEmpty && this.feeds.get(key) === feed) this.feeds.delete(key);
    this.metrics.viewers.set({ camera, stream }, feed.viewers.size);

    for (const f of leaving) await socket.leave(roomName(camera, stream, f));
    if (watch.leftCamera) await socket.leave(detectionsRoom(camera));
    if (feedEmpty) await this.bus.remove(camera, channels.frames(camera, stream), feed.handler);
    if (watch.unused) {
      await this.bus.remove(camera, channels.detections(camera), watch.unused.handler);
      await this.bus.remove(camera, channels.alarms(camera), watch.unused.alarmHandler);
    }
    return true;
  }

  /** Removes everything a socket holds; safe to call again, and while its requests are still under way. */
  async disconnect(socket: Socket): Promise<void> {
    for (const feed of [...this.feeds.values()]) {
      if (feed.viewers.has(socket.id)) await this.unsubscribe(socket, feed.camera, feed.stream);
    }
  }

  private newFeed(camera: string, stream: StreamName): Feed {
    const feed: Feed = { camera, stream, viewers: new Map(), handler: (message) => this.deliverFrame(feed, message) };
    return feed;
  }

  private newWatch(camera: string): CameraWatch {
    const watch: CameraWatch = {
      sockets: new Map(),
      handler: (message) => this.relayDetections(camera, message),
      alarmHandler: (message) => this.relayAlarm(camera, message),
    };
    this.watches.set(camera, watch);
    return watch;
  }

  /** One feed fewer of `camera` for the socket: whether it left the camera altogether, and the watch if nobody is left. */
  private unwatch(socketId: string, camera: string): { leftCamera: boolean; unused?: CameraWatch } {
    const watch = this.watches.get(camera);
    const count = watch?.sockets.get(socketId);
    if (!watch || count === undefined) return { leftCamera: false };
    if (count > 1) {
      watch.sockets.set(socketId, count - 1);
      return { leftCamera: false };
    }
    watch.sockets.delete(socketId);
    if (watch.sockets.size > 0) return { leftCamera: true };
    this.watches.delete(camera);
    return { leftCamera: true, unused: watch };
  }

  private release(socketId: string, count: number): void {
    const left = (this.held.get(socketId) ?? 0) - count;
    if (left > 0) this.held.set(socketId, left);
    else this.held.delete(socketId);
  }

  private relayDetections(camera: string, message: Buffer): void {
    const event = this.metrics.badMessages.accept(camera, channels.detections(camera), readDetectionsMessage(message, camera));
    if (event) this.relay(camera, 'detections', event);
  }

  private relayAlarm(camera: string, message: Buffer): void {
    const event = this.metrics.badMessages.accept(camera, channels.alarms(camera), readAlarmMessage(message, camera));
    if (event) this.relay(camera, 'alarm', event);
  }

  /**
   * Detections and alarms are small JSON events that every client watching the camera gets as they come, up to
   * SOCKET_EVENT_QUEUE_MAX packets waiting for it. Past that, a client's detections are dropped (they come with every
   * inferred frame, the next one replaces it), and an alarm event disconnects it: an alarm must not be lost without a
   * word, and the page reconnects and reads its alarms again.
   */
  private relay(camera: string, name: 'detections' | 'alarm', event: DetectionsEvent | AlarmEvent): void {
    const server = this.server;
    const room = detectionsRoom(camera);
    const members = server?.sockets.adapter.rooms.get(room);
    if (!server || !members || members.size === 0) return;
    const full = [...members].filter((id) => queuedPackets(server.sockets.sockets.get(id)) >= this.config.socket.eventQueueMax);
    const receivers = members.size - full.length;
    if (full.length > 0) {
      this.metrics.eventsDropped.inc({ camera, event: name, reason: name === 'alarm' ? 'slow_client_disconnected' : 'slow_client' }, full.length);
      if (name === 'alarm') for (const id of full) server.sockets.sockets.get(id)?.disconnect(true);
    }
    if (receivers > 0) (full.length > 0 ? server.to(room).except(full) : server.to(room)).emit(name, event);
  }

  private deliverFrame(feed: Feed, message: Buffer): void {
    const server = this.server;
    if (!server) return;
    const channel = channels.frames(feed.camera, feed.stream);
    const frame = this.metrics.badMessages.accept(feed.camera, channel, readFrameMessage(message, feed, this.config.frameMaxBytes));
    if (!frame) return;
    const labels = { camera: feed.camera, stream: feed.stream };
    this.metrics.framesIn.inc(labels);
    for (const format of FORMATS) {
      const room = roomName(feed.camera, feed.stream, format);
      const members = server.sockets.adapter.rooms.get(room);
      if (!members || members.size === 0) continue;
      const slow: string[] = [];
      for (const id of members) {
        if (queuedPackets(server.sockets.sockets.get(id)) >= this.maxQueuedFramePackets) slow.push(id);
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

function feedKey(camera: string, stream: StreamName): string {
  return `${camera}\u0000${stream}`;
}

function roomName(camera: string, stream: StreamName, format: ClientFormat): string {
  return `frames:${camera}:${stream}:${format}`;
}

function detectionsRoom(camera: string): string {
  return `detections:${camera}`;
}
