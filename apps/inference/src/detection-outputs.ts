import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { channels, encodeFrame, keys, type DetectionsEvent, type Frame, type ViolationEvent } from '@vigil/contracts';
import { RedisConnections } from '@vigil/redis';

/** Violations kept in the stream for consumers that were away (alarms acknowledge theirs). */
const VIOLATIONS_MAXLEN = 10_000;

/** Where inference results go: detections and annotated frames (pub/sub), violations (a durable stream). */
@Injectable()
export class DetectionOutputs implements OnModuleInit {
  private readonly logger = new Logger('Outputs');
  private redis!: Redis;

  constructor(private readonly connections: RedisConnections) {}

  onModuleInit(): void {
    this.redis = this.connections.create('inference-outputs', { enableOfflineQueue: false });
  }

  detections(event: DetectionsEvent): void {
    this.fireAndForget(this.redis.publish(channels.detections(event.camera), JSON.stringify(event)));
  }

  /** Resolves to how many clients received the frame (PUBLISH's reply), 0 when the publish failed. */
  annotated(source: Frame, jpeg: Buffer): Promise<number> {
    const frame = { ...source, stream: 'annotated', data: jpeg };
    return this.redis.publish(channels.frames(source.camera, 'annotated'), encodeFrame(frame)).catch((error: Error) => {
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
