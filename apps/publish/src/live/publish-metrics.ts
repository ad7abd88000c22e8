import { Injectable, Logger } from '@nestjs/common';
import type { Server } from 'socket.io';
import { CAMERA_STATES } from '@vigil/contracts';
import { BadMessages, MetricsService, removeSeries } from '@vigil/metrics';
import { CameraRegistry, CameraStatuses } from '@vigil/redis';

/** what became of a Socket.IO request: `gone` when the socket disconnected before the answer */
export type RequestOutcome = 'ok' | 'refused' | 'gone' | 'no_ack' | 'busy';

@Injectable()
export class PublishMetrics {
  readonly framesIn;
  readonly framesOut;
  readonly dropped;
  readonly viewers;
  readonly eventsDropped;
  readonly requests;
  readonly refusedConnections;
  /** frames and events off the bus that were not valid */
  readonly badMessages: BadMessages;

  constructor(
    private readonly metrics: MetricsService,
    registry: CameraRegistry,
    statuses: CameraStatuses,
  ) {
    this.framesIn = metrics.counter({ name: 'vigil_publish_frames_in_total', help: 'Frames received from Redis', labelNames: ['camera', 'stream'] });
    this.framesOut = metrics.counter({
      name: 'vigil_publish_frames_out_total',
      help: 'Frames sent to Socket.IO clients (one per client)',
      labelNames: ['camera', 'stream', 'format'],
    });
    this.dropped = metrics.counter({
      name: 'vigil_publish_frames_dropped_total',
      help: 'Frames not sent to a client because its queue was full',
      labelNames: ['camera', 'stream', 'reason'],
    });
    this.viewers = metrics.gauge({ name: 'vigil_publish_viewers', help: 'Socket.IO subscriptions per camera and stream', labelNames: ['camera', 'stream'] });
    this.eventsDropped = metrics.counter({
      name: 'vigil_publish_events_dropped_total',
      help: 'Detections and alarm events not sent to a client because it had SOCKET_EVENT_QUEUE_MAX packets waiting (an alarm disconnects it)',
      labelNames: ['camera', 'event', 'reason'],
    });
    this.requests = metrics.counter({ name: 'vigil_publish_socket_requests_total', help: 'Socket.IO requests by event and outcome', labelNames: ['event', 'outcome'] });
    this.refusedConnections = metrics.counter({ name: 'vigil_publish_sockets_refused_total', help: 'Socket.IO connections refused by SOCKETS_PER_ADDRESS_MAX' });
    this.badMessages = new BadMessages(metrics, 'publish', new Logger('Fanout'));

    // camera states and rates come from the status ingest keeps in Redis, so every publish replica shows every camera
    const forgetAllBut = (known: ReadonlySet<string>) => this.forgetAllBut(known);
    metrics.gauge({
      name: 'vigil_camera_state',
      help: 'Camera state (1 for the current state), from the camera status in Redis',
      labelNames: ['camera', 'state'],
      async collect() {
        this.reset();
        // any publish replica may have served a camera: each drops a removed one's series when scraped
        await forgetAllBut(new Set((await registry.list()).map((camera) => camera.id)));
        for (const [camera, status] of await statuses.all()) {
          for (const state of CAMERA_STATES) this.set({ camera, state }, state === status.state ? 1 : 0);
        }
      },
    });
    metrics.gauge({
      name: 'vigil_camera_fps',
      help: 'Frames per second captured, from the camera status in Redis',
      labelNames: ['camera'],
      async collect() {
        this.reset();
        for (const [camera, status] of await statuses.all()) this.set({ camera }, status.fps);
      },
    });
  }

  /** Removes the series of every camera not in `known` (the registry's): removed cameras' series would grow for good. */
  async forgetAllBut(known: ReadonlySet<string>): Promise<void> {
    const gone = (labels: { camera?: string | number }) => typeof labels.camera === 'string' && labels.camera !== 'unknown' && !known.has(labels.camera);
    await removeSeries([this.framesIn, this.framesOut, this.dropped, this.viewers, this.eventsDropped], gone);
    for (const camera of await this.badMessages.cameras()) if (!known.has(camera)) await this.badMessages.forget(camera);
  }

  /** Gauges of the live view's sockets, rooms and subscriptions, read when scraped: a leak shows as one that never falls. */
  observe(server: Server, counts: () => { subscriptions: number; pendingRequests: number }): void {
    this.metrics.gauge({
      name: 'vigil_publish_sockets',
      help: 'Socket.IO connections open',
      collect() {
        this.set(server.sockets.sockets.size);
      },
    });
    this.metrics.gauge({
      name: 'vigil_publish_rooms',
      help: 'Socket.IO rooms of the live view (frames and detections of a camera) with at least one member',
      collect() {
        let rooms = 0;
        for (const name of server.sockets.adapter.rooms.keys()) if (name.startsWith('frames:') || name.startsWith('detections:')) rooms += 1;
        this.set(rooms);
      },
    });
    this.metrics.gauge({
      name: 'vigil_publish_subscriptions',
      help: 'Subscriptions (camera, stream and format) held by Socket.IO connections',
      collect() {
        this.set(counts().subscriptions);
      },
    });
    this.metrics.gauge({
      name: 'vigil_publish_socket_requests_pending',
      help: 'Socket.IO requests under way, all connections together',
      collect() {
        this.set(counts().pendingRequests);
      },
    });
  }
}
