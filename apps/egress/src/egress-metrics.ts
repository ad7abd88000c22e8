import { Injectable, Logger } from '@nestjs/common';
import { EGRESS_STATES, type EgressState } from '@vigil/contracts';
import { BadMessages, MetricsService } from '@vigil/metrics';
import type { PusherEvents } from './push/pusher';

/** The egress side's Prometheus metrics, per camera. */
@Injectable()
export class EgressMetrics {
  private readonly pushed;
  private readonly dropped;
  private readonly reconnects;
  private readonly state;
  /** frames off the bus that were not valid */
  readonly badMessages: BadMessages;

  constructor(metrics: MetricsService) {
    this.pushed = metrics.counter({ name: 'vigil_egress_frames_pushed_total', help: 'Frames handed to the egress encoder', labelNames: ['camera'] });
    this.dropped = metrics.counter({ name: 'vigil_egress_frames_dropped_total', help: 'Frames dropped because the egress encoder was behind', labelNames: ['camera'] });
    this.reconnects = metrics.counter({ name: 'vigil_egress_reconnects_total', help: 'Egress restarts after a failure', labelNames: ['camera'] });
    this.state = metrics.gauge({ name: 'vigil_egress_state', help: 'Egress state per camera (1 for the current state)', labelNames: ['camera', 'state'] });
    this.badMessages = new BadMessages(metrics, 'egress', new Logger('Egress'));
  }

  /** What a pusher reports, counted here. */
  events(): Required<Omit<PusherEvents, 'state'>> {
    return {
      pushed: (camera) => this.pushed.inc({ camera }),
      dropped: (camera, count) => this.dropped.inc({ camera }, count),
      reconnect: (camera) => this.reconnects.inc({ camera }),
    };
  }

  setState(camera: string, current: EgressState): void {
    for (const state of EGRESS_STATES) this.state.set({ camera, state }, state === current ? 1 : 0);
  }

  forget(camera: string): void {
    for (const metric of [this.pushed, this.dropped, this.reconnects]) metric.remove({ camera });
    for (const state of EGRESS_STATES) this.state.remove({ camera, state });
    void this.badMessages.forget(camera);
  }
}
