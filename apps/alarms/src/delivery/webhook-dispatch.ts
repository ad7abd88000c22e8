import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { maskEndpointUrl, type AlarmEvent } from '@vigil/contracts';
import { AlarmSettings, WebhookOutbox } from '@vigil/alarms';
import { AuthStore } from '@vigil/platform';
import { RedisConnections, WebhookDeadLetters } from '@vigil/redis';
import { webhookPayload, webhookTypeOf } from './webhook-payload';

/** Alarm start and end events into the durable webhook outbox, and the outbox's worker that sends them. */
@Injectable()
export class WebhookDispatch implements OnApplicationBootstrap {
  private readonly logger = new Logger('Webhooks');
  private readonly outbox?: WebhookOutbox;

  constructor(
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
    private readonly settings: AlarmSettings,
    private readonly auth: AuthStore,
    connections: RedisConnections,
  ) {
    const endpoints = settings.webhooks;
    if (endpoints.length === 0) return;
    const retry = config.alarms.webhookRetryMs;
    const lock = config.alarms.webhookLockMs;
    this.outbox = new WebhookOutbox({
      redisUrl: config.redisUrl,
      endpoints,
      deadLetters: new WebhookDeadLetters(connections.create('webhooks-dead')),
      lockDurationMs: lock,
      stalledIntervalMs: lock,
      ...(retry ? { retrySchedule: retry } : {}),
    });
    this.outbox.on('delivered', (outcome) => this.logger.debug(`delivered ${JSON.stringify(outcome)}`));
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.outbox) {
      this.logger.log('no webhook endpoints configured (WEBHOOK_URL or the config file\'s webhooks)');
      return;
    }
    await this.outbox.start();
    this.logger.log(`webhooks to ${this.settings.webhooks.map((endpoint) => `${endpoint.id} (${maskEndpointUrl(endpoint.url)})`).join(', ')}`);
  }

  /** Resolves once the deliveries are durably queued (or the event is not one webhooks carry). */
  async enqueue(event: AlarmEvent): Promise<void> {
    const type = webhookTypeOf(event);
    if (!this.outbox || !type) return;
    const links = { publicUrl: this.config.alarms.publicUrl, key: await this.auth.linkKey(), ttlMs: this.config.auth.signedLinkMs };
    await this.outbox.enqueue(webhookPayload(event, type, links));
  }

  async close(): Promise<void> {
    await this.outbox?.close();
  }
}
