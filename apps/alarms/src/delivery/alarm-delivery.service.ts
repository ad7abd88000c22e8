import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { channels, type AlarmEvent } from '@vigil/contracts';
import { RedisConnections } from '@vigil/redis';
import { WebhookDispatch } from './webhook-dispatch';

/**
 * Where alarm events go once recorded: the live channel behind Socket.IO's `alarm` event (disposable, like
 * detections), the webhook outbox (durable, retried) and, when configured, MQTT.
 */
@Injectable()
export class AlarmDelivery implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('AlarmDelivery');
  private redis!: Redis;

  constructor(
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
    private readonly connections: RedisConnections,
    private readonly webhooks: WebhookDispatch,
  ) {}

  onModuleInit(): void {
    this.redis = this.connections.create('alarm-delivery', { enableOfflineQueue: false });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.webhooks.close();
  }

  /** A lifecycle event: live to clients, and to the webhooks (start and end) durably before this resolves. */
  async deliver(event: AlarmEvent): Promise<void> {
    this.live(event);
    await this.webhooks.enqueue(event);
  }

  /** A clip changed state: only the live clients care (webhooks carry the link from the start). */
  async clipChanged(event: AlarmEvent): Promise<void> {
    this.live(event);
  }

  private live(event: AlarmEvent): void {
    this.redis.publish(channels.alarms(event.alarm.camera), JSON.stringify(event)).catch((error: Error) => {
      this.logger.debug(`alarm ${event.alarm.id}: live publish failed: ${error.message}`);
    });
  }
}
