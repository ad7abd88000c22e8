import { BAD_MESSAGE_REASONS, CAMERA_ID_PATTERN, type BadMessageReason, type BusRead } from '@vigil/contracts';
import type { Counter } from 'prom-client';
import type { MetricsService } from './metrics.service';
import { removeSeries } from './remove-series';
import { ThrottledLog } from './throttled-log';

/** one line per camera per minute, however many bad messages it sends */
export const BAD_MESSAGE_LOG_INTERVAL_MS = 60_000;

/**
 * What a bus subscriber does with a message it cannot use: drop it, count it (per consumer, camera and reason) and
 * log it once per camera per minute. The camera label is a valid camera id or `unknown`, never other text.
 */
export class BadMessages {
  private readonly counter: Counter<'consumer' | 'camera' | 'reason'>;
  private readonly log: ThrottledLog;

  constructor(
    metrics: MetricsService,
    private readonly consumer: string,
    logger: { warn(line: string): void },
    intervalMs = BAD_MESSAGE_LOG_INTERVAL_MS,
  ) {
    this.counter = metrics.counter({
      name: 'vigil_bus_bad_messages_total',
      help: `Bus messages dropped as malformed, corrupt, of the wrong shape or too large; reason is one of ${BAD_MESSAGE_REASONS.join(', ')}`,
      labelNames: ['consumer', 'camera', 'reason'],
    });
    this.log = new ThrottledLog((line) => logger.warn(line), { intervalMs });
  }

  /** The message's value, or undefined after dropping it. */
  accept<T>(camera: string, channel: string, read: BusRead<T>): T | undefined {
    if (read.ok) return read.value;
    this.drop(camera, channel, read.reason, read.detail);
    return undefined;
  }

  drop(camera: string, channel: string, reason: BadMessageReason, detail: string): void {
    const label = CAMERA_ID_PATTERN.test(camera) ? camera : 'unknown';
    this.counter.inc({ consumer: this.consumer, camera: label, reason });
    this.log.log(label, `camera ${label}: dropped a bad message on ${channel} (${reason}: ${detail})`);
  }

  /** Cameras this consumer has series of (`unknown` aside). */
  async cameras(): Promise<string[]> {
    const found = new Set<string>();
    for (const { labels } of (await this.counter.get()).values) {
      if (labels.consumer === this.consumer && typeof labels.camera === 'string' && labels.camera !== 'unknown') found.add(labels.camera);
    }
    return [...found];
  }

  /** Removes this consumer's series of a camera that was removed. */
  forget(camera: string): Promise<void> {
    return removeSeries([this.counter], (labels) => labels.consumer === this.consumer && labels.camera === camera);
  }
}
