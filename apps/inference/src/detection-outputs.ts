import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { channels, encodeFrame, keys, type DetectionsEvent, type Frame, type ViolationEvent } from '@vigil/contracts';
import { ThrottledLog } from '@vigil/metrics';
import { RedisConnections } from '@vigil/redis';

/** Violations kept in the stream for consumers that were away (alarms acknowledge theirs). */
const VIOLATIONS_MAXLEN = 10_000;

/** Where inference results go: detections and annotated frames (pub/sub), violations (a durable stream). */
@Injectable()
export class DetectionOutputs implements OnModuleInit {
  private readonly logger = new Logger('Outputs');
  private redis!: Redis;
  private readonly oversized = new ThrottledLog((line) => this.logger.warn(line), { intervalMs: 60_000 });

  constructor(
    private readonly connections: RedisConnections,
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
  ) {}

  onModuleInit(): void {
    this.redis = this.connections.create('inference-outputs', { enableOfflineQueue: false });
  }

  detections(event: DetectionsEvent): void {
    this.fireAndForget(this.redis.publish(channels.detections(event.camera), JSON.stringify(event)));
  }

  /** Resolves to how many clients received the frame (PUBLISH's reply), 0 when the publish failed. */
  annotated(source: Frame, jpeg: Buffer): Promise<number> {
    const envelope = encodeFrame({ ...source, stream: 'annotated', data: jpeg });
    if (envelope.length > this.config.frameMaxBytes) {
      // every subscriber would drop it, and one such frame must not reach Redis's output limits
      this.oversized.log(source.camera, `camera ${source.camera}: an annotated frame of ${envelope.length} bytes is larger than FRAME_MAX_BYTES (${this.config.frameMaxBytes}); not published`);
      return Promise.resolve(0);
    }
    return this.redis.publish(channels.frames(source.camera, 'annotated'), envelope).catch((error: Error) => {
      this.logger.debug(`publish failed: ${error.message}`);
      return 0;
    });
  }

  async violation(event: ViolationEvent): Promise<void> {
    await this.redis.xadd(keys.violations, 'MAXLEN', '~', String(VIOLATIONS_MAXLEN), '*', 'camera', event.camera, 'rule', event.rule, 'event', JSON.stringify(event));
  }

  private fireAndForget(write: Promise<unknown>): void {
    // frames and detections are disposable: a failed publish is logged at debug, never retried
    write.catch((error: Error) => this.logger.debug(`publish failed: ${error.message}`));
  }
}
