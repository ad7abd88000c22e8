import type Redis from 'ioredis';
import { channels, type AlarmEvent } from '@vigil/contracts';

/**
 * The live alarm channel of each camera (`channels.alarms`), behind Socket.IO's `alarm` event: disposable, like
 * detections (the webhooks are the durable path). Give it a connection without an offline queue.
 */
export class AlarmLiveChannel {
  constructor(private readonly redis: Redis) {}

  /** Resolves to how many subscribers got it; rejects while Redis is away. */
  publish(event: AlarmEvent): Promise<number> {
    return this.redis.publish(channels.alarms(event.alarm.camera), JSON.stringify(event));
  }
}
