import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import type { AlarmEvent } from '@vigil/contracts';
import { MqttAlarmSink } from '@vigil/alarms';
import { AlarmLiveChannel, RedisConnections } from '@vigil/redis';
import { WebhookDispatch } from './webhook-dispatch';

/**
 * Where alarm events go once recorded: the live channel behind Socket.IO's `alarm` event (disposable, like
 * detections), the webhook outbox (durable, retried) and, when MQTT_URL is set, MQTT (`vigil/alarms/<camera>`).
 */
@Injectable()
export class AlarmDelivery implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('AlarmDelivery');
  private liveChannel!: AlarmLiveChannel;
  private mqtt?: MqttAlarmSink;

  constructor(
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
    private readonly connections: RedisConnections,
    private readonly webhooks: WebhookDispatch,
  ) {}

  onModuleInit(): void {
    this.liveChannel = new AlarmLiveChannel(this.connections.create('alarm-delivery', { enableOfflineQueue: false }));
  }

  /** MQTT is optional (MQTT_URL); a broker that cannot be reached stops the service at start, naming it. */
  async onApplicationBootstrap(): Promise<void> {
    const url = this.config.alarms.mqttUrl;
    if (!url) return;
    this.mqtt = new MqttAlarmSink({ url, clientId: `vigil-${this.config.instanceId}` });
    await this.mqtt.start();
    this.logger.log('alarm events also go to MQTT (vigil/alarms/<camera>)');
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.webhooks.close();
    await this.mqtt?.close();
  }

  /** A lifecycle event: live to clients, and to the webhooks (start and end) durably before this resolves. */
  async deliver(event: AlarmEvent): Promise<void> {
    this.live(event);
    await this.webhooks.enqueue(event);
    // QoS 1 to the broker, bounded while it is away; MQTT is a live feed here, the webhooks are the durable path
    this.mqtt?.publish(event).catch((error: Error) => this.logger.warn(`alarm ${event.alarm.id}: MQTT publish failed: ${error.message}`));
  }

  /** A clip changed state: only the live clients care (webhooks carry the link from the start). */
  async clipChanged(event: AlarmEvent): Promise<void> {
    this.live(event);
  }

  private live(event: AlarmEvent): void {
    this.liveChannel.publish(event).catch((error: Error) => {
      this.logger.debug(`alarm ${event.alarm.id}: live publish failed: ${error.message}`);
    });
  }
}
