import type Redis from 'ioredis';
import { channels, encodeFrame, type DetectionsEvent, type Frame } from '@vigil/contracts';

/**
 * What inference publishes per camera on pub/sub: its detections (`channels.detections`) and its annotated frames
 * (`channels.frames(camera, 'annotated')`). Both are disposable, like every frame. Give it a connection without an
 * offline queue, so that an outage fails a publish at once instead of queueing frames.
 */
export class DetectionChannels {
  constructor(private readonly redis: Redis) {}

  /** Resolves to how many subscribers got it; rejects while Redis is away. */
  publishDetections(event: DetectionsEvent): Promise<number> {
    return this.redis.publish(channels.detections(event.camera), JSON.stringify(event));
  }

  /** The annotated frame's envelope, to check its size before it is published. */
  static annotatedEnvelope(source: Frame, jpeg: Buffer): Buffer {
    return encodeFrame({ ...source, stream: 'annotated', data: jpeg });
  }

  /** Publishes an envelope made by annotatedEnvelope; resolves to how many subscribers got it. */
  publishAnnotated(camera: string, envelope: Buffer): Promise<number> {
    return this.redis.publish(channels.frames(camera, 'annotated'), envelope);
  }
}
