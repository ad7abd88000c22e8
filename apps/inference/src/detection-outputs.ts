import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import type { DetectionsEvent, Frame, ViolationEvent } from '@vigil/contracts';
import { ThrottledLog } from '@vigil/metrics';
import { DetectionChannels, RedisConnections, ViolationStream, VIOLATION_STREAM_DEFAULTS } from '@vigil/redis';
import { InferenceMetrics } from './inference-metrics';

/** How long a shutdown waits for violations still waiting for Redis before it drops (and counts) them, ms. */
const SHUTDOWN_GRACE_MS = 2000;

/**
 * Where inference results go: detections and annotated frames (pub/sub, disposable), violations (a durable stream,
 * buffered and replayed in order while Redis is away).
 */
@Injectable()
export class DetectionOutputs implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('Outputs');
  private channels!: DetectionChannels;
  private violations!: ViolationStream;
  private readonly oversized = new ThrottledLog((line) => this.logger.warn(line), { intervalMs: 60_000 });

  constructor(
    private readonly connections: RedisConnections,
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
    private readonly metrics: InferenceMetrics,
  ) {}

  onModuleInit(): void {
    const redis = this.connections.create('inference-outputs', { enableOfflineQueue: false });
    this.channels = new DetectionChannels(redis);
    this.violations = new ViolationStream(redis, {
      onDrop: (violation) => this.metrics.violationsDropped.inc({ camera: violation.camera }),
      onError: (error, waiting) =>
        this.logger.warn(`violations wait for Redis (${waiting} now, at most ${VIOLATION_STREAM_DEFAULTS.bufferMax}; past that the oldest are dropped): ${error.message}`),
      onRecovered: (replayed) => this.logger.log(`violations: Redis is back, ${replayed} violation(s) that waited were written in order`),
    });
    this.metrics.observeViolationsWaiting(() => this.violations.waiting);
  }

  /** Violations still waiting get a last chance before the connections close. */
  async beforeApplicationShutdown(): Promise<void> {
    const dropped = await this.violations.close(SHUTDOWN_GRACE_MS);
    if (dropped) this.logger.warn(`${dropped} violation(s) still waited for Redis at shutdown and were dropped`);
  }

  detections(event: DetectionsEvent): void {
    this.fireAndForget(this.channels.publishDetections(event));
  }

  /** Resolves to how many clients received the frame (PUBLISH's reply), 0 when the publish failed. */
  annotated(source: Frame, jpeg: Buffer): Promise<number> {
    const envelope = DetectionChannels.annotatedEnvelope(source, jpeg);
    if (envelope.length > this.config.frameMaxBytes) {
      // every subscriber would drop it, and one such frame must not reach Redis's output limits
      this.oversized.log(source.camera, `camera ${source.camera}: an annotated frame of ${envelope.length} bytes is larger than FRAME_MAX_BYTES (${this.config.frameMaxBytes}); not published`);
      return Promise.resolve(0);
    }
    return this.channels.publishAnnotated(source.camera, envelope).catch((error: Error) => {
      this.logger.debug(`publish failed: ${error.message}`);
      return 0;
    });
  }

  /** Queues the violation for the stream; never fails (while Redis is away it waits, bounded, then goes in order). */
  async violation(event: ViolationEvent): Promise<void> {
    this.violations.append(event);
  }

  private fireAndForget(write: Promise<unknown>): void {
    // frames and detections are disposable: a failed publish is logged at debug, never retried
    write.catch((error: Error) => this.logger.debug(`publish failed: ${error.message}`));
  }
}
