import type Redis from 'ioredis';
import { channels, encodeFrame, type Frame, type StreamName } from '@vigil/contracts';

export type PublishOutcome = 'sent' | 'dropped';

/**
 * Publishes frame envelopes without ever queueing without bound: when Redis is down or slower
 * than the camera, frames beyond `maxInFlight` unacknowledged publishes are dropped (frames are
 * disposable) and the caller counts them. Framework-free so a capture worker thread can use it.
 */
export class FramePublisher {
  private inFlight = 0;

  constructor(
    private readonly redis: Redis,
    private readonly maxInFlight = 4,
    private readonly onError: (error: Error) => void = () => undefined,
  ) {}

  publish(frame: Frame): PublishOutcome {
    if (this.inFlight >= this.maxInFlight || this.redis.status !== 'ready') return 'dropped';
    this.inFlight += 1;
    this.redis
      .publish(channels.frames(frame.camera, frame.stream as StreamName), encodeFrame(frame))
      .catch((error: Error) => this.onError(error))
      .finally(() => {
        this.inFlight -= 1;
      });
    return 'sent';
  }

  pending(): number {
    return this.inFlight;
  }
}
