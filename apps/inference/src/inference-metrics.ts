import { Injectable, Logger } from '@nestjs/common';
import { BadMessages, MetricsService, removeCameraSeries } from '@vigil/metrics';

@Injectable()
export class InferenceMetrics {
  readonly inferred;
  readonly skipped;
  readonly gated;
  readonly violations;
  readonly violationsDropped;
  /** read at each scrape: violations waiting for Redis */
  private violationsWaiting: () => number = () => 0;
  readonly runSeconds;
  readonly failedBatches;
  readonly workerRestarts;
  /** frames off the bus that were not valid or did not decode */
  readonly badMessages: BadMessages;

  constructor(metrics: MetricsService) {
    this.inferred = metrics.counter({ name: 'vigil_inference_frames_total', help: 'Frames the detector looked at', labelNames: ['camera', 'detector'] });
    this.skipped = metrics.counter({
      name: 'vigil_inference_skipped_total',
      help: 'Frames overwritten in the latest-frame slot before the detector got to them',
      labelNames: ['camera'],
    });
    this.gated = metrics.counter({ name: 'vigil_inference_gated_total', help: 'Frames the motion gate spared the model (still scene)', labelNames: ['camera'] });
    this.violations = metrics.counter({ name: 'vigil_violations_total', help: 'Violation events raised', labelNames: ['camera', 'rule'] });
    this.violationsDropped = metrics.counter({
      name: 'vigil_violations_dropped_total',
      help: 'Violations dropped while Redis was away: the buffer was full (the oldest go), or the process stopped with them waiting',
      labelNames: ['camera'],
    });
    const waiting = () => this.violationsWaiting();
    metrics.gauge({
      name: 'vigil_violations_waiting',
      help: 'Violations waiting for Redis, to be written in order when it is back',
      collect() {
        this.set(waiting());
      },
    });
    this.runSeconds = metrics.counter({ name: 'vigil_inference_run_seconds_total', help: 'Time inside the model runs', labelNames: ['model'] });
    this.failedBatches = metrics.counter({
      name: 'vigil_inference_failed_batches_total',
      help: 'Model batches lost because the ONNX worker thread died under them or was being restarted (their frames got no detections)',
      labelNames: ['model'],
    });
    this.workerRestarts = metrics.counter({ name: 'vigil_inference_worker_restarts_total', help: 'Deaths of the ONNX worker thread, each followed by a restart', labelNames: ['model'] });
    this.badMessages = new BadMessages(metrics, 'inference', new Logger('Inference'));
  }

  /** Removes the series of a camera this replica no longer detects. */
  async forget(camera: string): Promise<void> {
    await removeCameraSeries([this.inferred, this.skipped, this.gated, this.violations, this.violationsDropped], camera);
    await this.badMessages.forget(camera);
  }

  observeViolationsWaiting(source: () => number): void {
    this.violationsWaiting = source;
  }
}
