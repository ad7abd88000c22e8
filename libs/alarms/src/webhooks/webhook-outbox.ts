import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq';
import { keys, maskEndpointUrl, maskerFor, maskText, WEBHOOK_EVENT_TYPES, type AlarmWebhookPayload, type WebhookDeadLetter } from '@vigil/contracts';
import { redisClientOptions, type WebhookDeadLetters } from '@vigil/redis';
import { deliveryJobId, webhookMessageId, type WebhookAttemptRecord, type WebhookJobData } from './delivery-job';
import { classifyResponse, deliveryState, type WebhookDelivery } from './delivery-state';
import type { WebhookEndpoint } from './endpoints';
import { resolveOutboxOptions, type ResolvedOutboxOptions, type WebhookOutboxOptions } from './outbox-options';
import { retryDelay } from './retry-schedule';
import { webhookHeaders } from './signature';
import { WebhookHttpClient } from './webhook-http-client';

/** What the outbox reports after each try; for logs, metrics and tests. */
export interface WebhookOutcome {
  messageId: string;
  alarmId: string;
  endpointId: string;
  attempts: number;
  error?: string;
}

export interface WebhookOutboxEvents {
  delivered: [WebhookOutcome];
  /** a try failed and another one is scheduled */
  retrying: [WebhookOutcome];
  /** the last try failed (or the receiver said 410 Gone): the delivery is in the dead letters */
  dead: [WebhookOutcome];
}

const JOB_NAME = 'deliver';
const BACKOFF_TYPE = 'webhook-schedule';
// BullMQ's own messages when a crash-looping job is given up without our processor running.
const STALL_LIMIT = /more than allowable limit/;

/**
 * The durable webhook outbox: enqueue() stores one BullMQ job per event and endpoint in Redis, start() runs a worker
 * that signs and POSTs them with retries, and failed deliveries end in a bounded dead-letter list. Delivery is
 * at-least-once: a crash mid-request redelivers with the same webhook-id.
 */
export class WebhookOutbox extends EventEmitter<WebhookOutboxEvents> {
  private readonly logger = new Logger(WebhookOutbox.name);
  private readonly options: ResolvedOutboxOptions;
  private readonly endpoints: Map<string, WebhookEndpoint>;
  /** per endpoint id: errors can echo its URL or its path token alone */
  private readonly maskers: Map<string, (text: string) => string>;
  private readonly queue: Queue<WebhookJobData>;
  private readonly http: WebhookHttpClient;
  private readonly dead: WebhookDeadLetters;
  private worker: Worker<WebhookJobData> | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: WebhookOutboxOptions) {
    super();
    this.options = resolveOutboxOptions(options);
    this.endpoints = new Map(this.options.endpoints.map((endpoint) => [endpoint.id, endpoint]));
    this.maskers = new Map(this.options.endpoints.map((endpoint) => [endpoint.id, maskerFor(endpoint.url, 'endpoint')]));
    this.http = new WebhookHttpClient(this.options.userAgent);
    this.dead = this.options.deadLetters;
    this.queue = new Queue<WebhookJobData>(keys.webhookQueue, {
      prefix: keys.webhookQueuePrefix,
      // Enqueueing happens inside the alarms pipeline: fail fast when Redis is down instead of queueing commands.
      connection: bullmqConnection(this.options.redisUrl, 'webhooks'),
    });
    this.queue.on('error', (error) => this.logger.warn(`webhook queue: ${error.message}`));
  }

  /**
   * Queues the event for every endpoint subscribed to its type; returns how many deliveries were new (as seen just
   * before adding; informational). Enqueueing an event again (a replay after a crash) adds nothing while its earlier
   * jobs are kept (see keepDeliveredSeconds).
   */
  async enqueue(payload: AlarmWebhookPayload): Promise<number> {
    const messageId = webhookMessageId(payload);
    const body = JSON.stringify(payload);
    const targets = [...this.endpoints.values()].filter((endpoint) => endpoint.events.includes(payload.type));
    if (targets.length === 0) return 0;

    const jobs = targets.map((endpoint) => ({
      name: JOB_NAME,
      data: {
        messageId,
        alarmId: payload.data.id,
        camera: payload.data.camera,
        eventType: payload.type,
        endpointId: endpoint.id,
        endpointUrl: maskEndpointUrl(endpoint.url),
        body,
      } satisfies WebhookJobData,
      opts: this.jobOptions(deliveryJobId(messageId, endpoint.id)),
    }));
    const existing = await Promise.all(jobs.map((job) => this.queue.getJob(job.opts.jobId)));
    await this.queue.addBulk(jobs);
    return existing.filter((job) => !job).length;
  }

  /** Starts delivering. Resolves once the worker is connected; call close() to stop. */
  async start(): Promise<void> {
    if (this.worker) return;
    const { options } = this;
    this.worker = new Worker<WebhookJobData>(keys.webhookQueue, (job) => this.deliver(job), {
      prefix: keys.webhookQueuePrefix,
      // A worker's blocking connection must wait out Redis restarts rather than throw.
      connection: bullmqConnection(options.redisUrl, 'webhooks-worker', { maxRetriesPerRequest: null }),
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs,
      stalledInterval: options.stalledIntervalMs,
      maxStalledCount: options.maxStalledCount,
      settings: {
        backoffStrategy: (attemptsMade: number) => retryDelay(attemptsMade, options.retrySchedule, options.retryJitter),
      },
    });
    this.worker.on('error', (error) => this.logger.warn(`webhook worker: ${error.message}`));
    this.worker.on('completed', (job) => {
      this.emit('delivered', outcome(job));
    });
    this.worker.on('failed', (job, error) => {
      if (!job) return;
      void this.afterFailure(job, error);
    });
    await this.worker.waitUntilReady();
  }

  /**
   * Every delivery of one alarm's events, with its state. Job ids are derived, so no index is needed; the price is
   * that only endpoints still configured are looked up.
   */
  async deliveries(alarmId: string): Promise<WebhookDelivery[]> {
    const candidates = WEBHOOK_EVENT_TYPES.flatMap((type) =>
      [...this.endpoints.keys()].map((endpointId) => deliveryJobId(webhookMessageId({ type, data: { id: alarmId } }), endpointId)),
    );
    const jobs = (await Promise.all(candidates.map((id) => this.queue.getJob(id)))).filter((job): job is Job<WebhookJobData> => !!job);
    return Promise.all(jobs.map((job) => this.describe(job)));
  }

  /** Newest first. */
  async deadLetters(limit = 100): Promise<WebhookDeadLetter[]> {
    // masked again on the way out: a letter written by an older version, or by hand, may hold more than it should
    return (await this.dead.list(limit)).map((letter) => ({
      ...letter,
      endpoint: { ...letter.endpoint, url: maskEndpointUrl(letter.endpoint.url) },
      lastError: this.mask(letter.endpoint.id, letter.lastError),
    }));
  }

  /** Stops taking deliveries, lets those in flight finish (each is bounded by requestTimeoutMs), then disconnects. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.worker?.close();
      await this.queue.close();
    })();
    return this.closing;
  }

  private jobOptions(jobId: string): JobsOptions & { jobId: string } {
    const { retrySchedule, retryJitter, keepDeliveredSeconds } = this.options;
    const firstDelay = retryDelay(0, retrySchedule, retryJitter);
    return {
      jobId,
      attempts: retrySchedule.length,
      backoff: { type: BACKOFF_TYPE },
      ...(firstDelay > 0 ? { delay: firstDelay } : {}),
      removeOnComplete: { age: keepDeliveredSeconds },
      // Dead deliveries stay visible as long as their dead letter does: both are bounded by the same count.
      removeOnFail: { count: this.options.maxDeadLetters },
    };
  }

  private async deliver(job: Job<WebhookJobData>): Promise<{ status: number; deliveredAt: number }> {
    const { data } = job;
    const endpoint = this.endpoints.get(data.endpointId);
    if (!endpoint) {
      return this.fail(job, null, `endpoint "${data.endpointId}" is no longer configured`, true);
    }
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders(endpoint.secret, { id: data.messageId, timestamp, body: data.body });
    let status: number;
    try {
      ({ status } = await this.http.post(endpoint.url, headers, data.body, this.options.requestTimeoutMs));
    } catch (error) {
      return this.fail(job, null, (error as Error).message, false);
    }
    const verdict = classifyResponse(status);
    if (verdict === 'delivered') {
      const deliveredAt = Date.now();
      await job.updateProgress({ lastStatus: status, lastError: null, lastAttemptAt: deliveredAt } satisfies WebhookAttemptRecord);
      return { status, deliveredAt };
    }
    const where = `POST ${maskEndpointUrl(endpoint.url)}`;
    return this.fail(job, status, verdict === 'gone' ? `${where}: 410 Gone, the receiver asked to stop` : `${where}: HTTP ${status}`, verdict === 'gone');
  }

  /**
   * Records the try and throws so BullMQ retries. On the last try the dead letter is written first, so a crash
   * right after cannot lose it (it can at worst write it twice, when the crashed try is run again).
   */
  private async fail(job: Job<WebhookJobData>, status: number | null, reason: string, final: boolean): Promise<never> {
    const tries = job.attemptsMade + 1;
    // BullMQ keeps the thrown message as the job's failedReason, in Redis: masked before it goes anywhere
    const error = this.mask(job.data.endpointId, reason);
    await job.updateProgress({ lastStatus: status, lastError: error, lastAttemptAt: Date.now() } satisfies WebhookAttemptRecord);
    if (final || tries >= (job.opts.attempts ?? 1)) {
      await this.writeDeadLetter(job, tries, error, status);
      throw new UnrecoverableError(error);
    }
    throw new Error(error);
  }

  private async afterFailure(job: Job<WebhookJobData>, error: Error): Promise<void> {
    try {
      if (STALL_LIMIT.test(error.message)) {
        // Given up by BullMQ's stalled check: our processor never saw this last failure, so write its dead letter here.
        await this.writeDeadLetter(job, job.attemptsMade, `${error.message} (the delivering process died ${job.stalledCounter ?? '?'} times)`, null);
      }
      const state = await job.getState();
      const report = { ...outcome(job), error: this.mask(job.data.endpointId, error.message) };
      const to = `webhook ${job.data.messageId} to ${maskEndpointUrl(job.data.endpointUrl)}`;
      if (state === 'failed') {
        this.logger.warn(`${to} is dead after ${report.attempts} tries: ${report.error}`);
        this.emit('dead', report);
      } else {
        this.logger.warn(`${to}: try ${report.attempts} of ${job.opts.attempts} failed, will retry: ${report.error}`);
        this.emit('retrying', report);
      }
    } catch (failure) {
      this.logger.error(`webhook ${job.data.messageId}: recording failure "${this.mask(job.data.endpointId, error.message)}" failed: ${maskText((failure as Error).message)}`);
    }
  }

  private async writeDeadLetter(job: Job<WebhookJobData>, attempts: number, lastError: string, lastStatus: number | null): Promise<void> {
    const { data } = job;
    await this.dead.add(
      {
        messageId: data.messageId,
        alarmId: data.alarmId,
        eventType: data.eventType,
        endpoint: { id: data.endpointId, url: maskEndpointUrl(data.endpointUrl) },
        payload: JSON.parse(data.body) as AlarmWebhookPayload,
        attempts,
        lastError: this.mask(data.endpointId, lastError),
        lastStatus,
        deadAt: Date.now(),
      },
      this.options.maxDeadLetters,
    );
  }

  /** An endpoint no longer configured has no known URL left to look for: the general mask still applies. */
  private mask(endpointId: string, text: string): string {
    return (this.maskers.get(endpointId) ?? maskText)(text);
  }

  private async describe(job: Job<WebhookJobData>): Promise<WebhookDelivery> {
    const state = await job.getState();
    const progress = (typeof job.progress === 'object' ? job.progress : {}) as Partial<WebhookAttemptRecord>;
    // Our record is authoritative once written: after a successful retry it says null, not the old failure.
    const lastError = progress.lastError !== undefined ? progress.lastError : job.failedReason || null;
    return {
      messageId: job.data.messageId,
      alarmId: job.data.alarmId,
      endpointId: job.data.endpointId,
      endpointUrl: maskEndpointUrl(job.data.endpointUrl),
      eventType: job.data.eventType,
      state: deliveryState(state, job.attemptsMade),
      attempts: triesMade(job, state),
      lastError: lastError === null ? null : this.mask(job.data.endpointId, lastError),
      lastStatus: progress.lastStatus ?? null,
      deliveredAt: state === 'completed' ? (job.returnvalue as { deliveredAt?: number } | null)?.deliveredAt ?? job.finishedOn ?? null : null,
    };
  }
}

function outcome(job: Job<WebhookJobData>): WebhookOutcome {
  return { messageId: job.data.messageId, alarmId: job.data.alarmId, endpointId: job.data.endpointId, attempts: job.attemptsMade };
}

/** Tries made, counting one in flight. */
function triesMade(job: Job<WebhookJobData>, state: string): number {
  return job.attemptsMade + (state === 'active' ? 1 : 0);
}

/** BullMQ's connections get vigil's client options too; its types name its own copy of ioredis's, the same shape. */
function bullmqConnection(url: string, role: string, overrides?: Parameters<typeof redisClientOptions>[2]): ConnectionOptions {
  return redisClientOptions(url, role, overrides) as ConnectionOptions;
}
