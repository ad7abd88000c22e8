import type Redis from 'ioredis';
import { channels, encodeFrame, type Frame, type StreamName } from '@vigil/contracts';

export type PublishOutcome = 'sent' | 'dropped' | 'too_large';

export interface FramePublisherOptions {
  /** unacknowledged publishes before further frames are dropped */
  maxInFlight?: number;
  /** envelope bytes a frame may have (FRAME_MAX_BYTES): every subscriber drops a larger one, so it is not sent */
  maxBytes?: number;
  onError?: (error: Error) => void;
}

/**
 * Publishes frame envelopes without ever queueing without bound: when Redis is down or slower
 * than the camera, frames beyond `maxInFlight` unacknowledged publishes are dropped (frames are
 * disposable) and the caller counts them. Framework-free so a capture worker thread can use it.
 */
export class FramePublisher {
  private inFlight = 0;
  private readonly maxInFlight: number;
  private readonly maxBytes: number;
  private readonly onError: (error: Error) => void;

  constructor(
    private readonly redis: Redis,
    options: FramePublisherOptions = {},
  ) {
    this.maxInFlight = options.maxInFlight ?? 4;
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    this.onError = options.onError ?? (() => undefined);
  }

  publish(frame: Frame): PublishOutcome {
    if (this.inFlight >= this.maxInFlight || this.redis.status !== 'ready') return 'dropped';
    const envelope = encodeFrame(frame);
    if (envelope.length > this.maxBytes) return 'too_large';
    this.inFlight += 1;
    this.redis
      .publish(channels.frames(frame.camera, frame.stream as StreamName), envelope)
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
