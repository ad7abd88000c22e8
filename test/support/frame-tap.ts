import Redis from 'ioredis';
import { channels, decodeFrame, type Frame, type StreamName } from '@vigil/contracts';
import { waitFor } from './wait';

const KEEP = 500;

/** Listens to one camera's frame channel on the real redis-server, as publish would. */
export class FrameTap {
  /** the most recent frames, oldest first */
  readonly frames: Frame[] = [];
  /** frames received since the tap opened */
  received = 0;
  /** messages on the channel that were not frame envelopes */
  junk = 0;

  private constructor(private readonly redis: Redis) {}

  static async open(redisUrl: string, camera: string, stream: StreamName = 'raw'): Promise<FrameTap> {
    const redis = new Redis(redisUrl);
    const tap = new FrameTap(redis);
    redis.on('messageBuffer', (_channel: Buffer, message: Buffer) => {
      let frame: Frame;
      try {
        frame = decodeFrame(message);
      } catch {
        tap.junk += 1; // a test that publishes junk on the channel: not a frame
        return;
      }
      tap.frames.push(frame);
      if (tap.frames.length > KEEP) tap.frames.shift();
      tap.received += 1;
    });
    await redis.subscribe(channels.frames(camera, stream));
    return tap;
  }

  /** Resolves with the next `count` frames to arrive after this call. */
  async next(count = 1, timeoutMs = 15_000): Promise<Frame[]> {
    const start = this.received;
    await waitFor(`${count} new frame(s)`, () => this.received - start >= count, timeoutMs);
    return this.frames.slice(-(this.received - start)).slice(0, count);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
