import { Injectable, Logger } from '@nestjs/common';
import { STITCH_STATES, type StitchState } from '@vigil/contracts';
import { BadMessages, MetricsService, removeCameraSeries } from '@vigil/metrics';
import type { PanoramaEvents } from './panorama/panorama';

/** The stitch service's Prometheus metrics, per panorama camera (`input` is an input camera's id). */
@Injectable()
export class StitchMetrics {
  private readonly pairs;
  private readonly missed;
  private readonly skipped;
  private readonly published;
  private readonly calibrations;
  private readonly state;
  /** input frames off the bus that were not valid */
  readonly badMessages: BadMessages;

  constructor(metrics: MetricsService) {
    this.pairs = metrics.counter({ name: 'vigil_stitch_pairs_total', help: 'Frame pairs made: a frame of each input within STITCH_PAIR_TOLERANCE_MS', labelNames: ['camera'] });
    this.missed = metrics.counter({
      name: 'vigil_stitch_pairs_missed_total',
      help: 'Input frames that found no partner within STITCH_PAIR_TOLERANCE_MS (or came out of order)',
      labelNames: ['camera', 'input'],
    });
    this.skipped = metrics.counter({ name: 'vigil_stitch_pairs_skipped_total', help: 'Pairs left unrendered because a newer pair came while a render ran', labelNames: ['camera'] });
    this.published = metrics.counter({ name: 'vigil_stitch_frames_total', help: 'Panorama frames rendered, by what the frame bus did with them (sent, dropped, too_large)', labelNames: ['camera', 'outcome'] });
    this.calibrations = metrics.counter({ name: 'vigil_stitch_calibrations_total', help: 'Calibrations run, by outcome (ok, failed)', labelNames: ['camera', 'outcome'] });
    this.state = metrics.gauge({ name: 'vigil_stitch_state', help: 'Panorama state (1 for the current state)', labelNames: ['camera', 'state'] });
    this.badMessages = new BadMessages(metrics, 'stitch', new Logger('Stitch'));
  }

  /** What a panorama reports, counted here. */
  events(camera: string, inputs: readonly [string, string]): Omit<PanoramaEvents, 'status'> {
    return {
      paired: () => this.pairs.inc({ camera }),
      missed: (side, count) => this.missed.inc({ camera, input: inputs[side] }, count),
      skipped: () => this.skipped.inc({ camera }),
      published: (outcome) => this.published.inc({ camera, outcome }),
      calibrated: (ok) => this.calibrations.inc({ camera, outcome: ok ? 'ok' : 'failed' }),
    };
  }

  setState(camera: string, current: StitchState): void {
    for (const state of STITCH_STATES) this.state.set({ camera, state }, state === current ? 1 : 0);
  }

  async forget(camera: string): Promise<void> {
    await removeCameraSeries([this.pairs, this.missed, this.skipped, this.published, this.calibrations, this.state], camera);
  }
}
