import { Injectable } from '@nestjs/common';
import { CAMERA_STATES } from '@vigil/contracts';
import { MetricsService } from '@vigil/metrics';
import { CameraRegistry } from '@vigil/redis';

@Injectable()
export class PublishMetrics {
  readonly framesIn;
  readonly framesOut;
  readonly dropped;
  readonly viewers;
  readonly badMessages;

  constructor(metrics: MetricsService, registry: CameraRegistry) {
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
    this.badMessages = metrics.counter({ name: 'vigil_publish_bad_messages_total', help: 'Redis messages that were not valid frame envelopes', labelNames: ['channel'] });

    // camera states and rates come from the registry, so every publish replica shows every camera
    metrics.gauge({
      name: 'vigil_camera_state',
      help: 'Camera state (1 for the current state), from the registry',
      labelNames: ['camera', 'state'],
      async collect() {
        this.reset();
        for (const [camera, status] of await registry.statuses()) {
          for (const state of CAMERA_STATES) this.set({ camera, state }, state === status.state ? 1 : 0);
        }
      },
    });
    metrics.gauge({
      name: 'vigil_camera_fps',
      help: 'Frames per second captured, from the registry',
      labelNames: ['camera'],
      async collect() {
        this.reset();
        for (const [camera, status] of await registry.statuses()) this.set({ camera }, status.fps);
      },
    });
  }
}
