import { Logger } from '@nestjs/common';
import { connect, type MqttClient } from 'mqtt';
import { maskerFor, maskUrl, type AlarmEvent } from '@vigil/contracts';

export interface MqttAlarmSinkOptions {
  /** mqtt://, mqtts://, ws:// or wss:// URL; credentials may sit in it */
  url: string;
  /** Default `vigil-alarms-<pid>`. */
  clientId?: string;
  /** Topic root; events go to `<prefix>/<camera>`. Default 'vigil/alarms'. */
  topicPrefix?: string;
  /** Publishes waiting for a PUBACK (e.g. while the broker is away); past this, events are dropped and counted. Default 1000. */
  maxPending?: number;
  /** How long start() waits for the first connection. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Wait between reconnect attempts. Default 1000 ms. */
  reconnectPeriodMs?: number;
}

/** MQTT topic of one camera's alarm events; refuses ids that would act as MQTT wildcards or levels. */
export function mqttAlarmTopic(camera: string, prefix = 'vigil/alarms'): string {
  if (!/^[A-Za-z0-9_-]+$/.test(camera)) throw new RangeError(`camera id "${camera}" cannot be an MQTT topic level`);
  return `${prefix}/${camera}`;
}

/**
 * Publishes alarm events (start, update, end) as JSON with QoS 1 for home-automation and SCADA consumers. A live
 * feed, not a second outbox: while the broker is away events wait in memory up to maxPending, beyond that they are
 * dropped and counted; the durable record stays in Redis and the webhooks.
 */
export class MqttAlarmSink {
  private readonly logger = new Logger(MqttAlarmSink.name);
  private readonly options: Required<MqttAlarmSinkOptions>;
  private client: MqttClient | undefined;
  private pending = 0;
  private droppedCount = 0;

  constructor(options: MqttAlarmSinkOptions) {
    this.options = {
      clientId: `vigil-alarms-${process.pid}`,
      topicPrefix: 'vigil/alarms',
      maxPending: 1000,
      connectTimeoutMs: 10_000,
      reconnectPeriodMs: 1000,
      ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)),
    } as Required<MqttAlarmSinkOptions>;
  }

  /** Events dropped because maxPending publishes were already waiting. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Connects; rejects (naming the masked URL) when the broker cannot be reached within connectTimeoutMs. */
  async start(): Promise<void> {
    if (this.client) return;
    const { url, clientId, connectTimeoutMs, reconnectPeriodMs } = this.options;
    const where = maskUrl(url);
    // the client's errors may name the broker URL, credentials and all
    const mask = maskerFor(url);
    const client = connect(url, { clientId, connectTimeout: connectTimeoutMs, reconnectPeriod: reconnectPeriodMs, clean: true });
    this.client = client;
    let down = false;
    client.on('offline', () => {
      if (!down) this.logger.warn(`MQTT ${where}: disconnected, reconnecting; up to ${this.options.maxPending} events wait meanwhile`);
      down = true;
    });
    client.on('connect', () => {
      if (down) this.logger.log(`MQTT ${where}: connected again`);
      down = false;
    });
    client.on('error', (error) => this.logger.warn(`MQTT ${where}: ${mask(error.message)}`));

    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`MQTT ${where}: no connection within ${connectTimeoutMs} ms`)), connectTimeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        client.off('connect', ok);
        client.off('error', fail);
      };
      const ok = (): void => {
        cleanup();
        resolve();
      };
      const fail = (error: Error): void => {
        cleanup();
        client.end(true);
        this.client = undefined;
        reject(new Error(`MQTT ${where}: cannot connect: ${mask(error.message)}`));
      };
      client.once('connect', ok);
      client.once('error', fail);
    });
  }

  /** Resolves true once the broker acknowledged the event, false when it was dropped (too many pending). */
  async publish(event: AlarmEvent): Promise<boolean> {
    const client = this.client;
    if (!client) throw new Error('MqttAlarmSink.publish before start()');
    if (this.pending >= this.options.maxPending) {
      if (this.droppedCount++ === 0 || this.droppedCount % 100 === 0) {
        this.logger.warn(`MQTT ${maskUrl(this.options.url)}: ${this.droppedCount} alarm events dropped so far, ${this.pending} waiting for the broker`);
      }
      return false;
    }
    this.pending++;
    try {
      await client.publishAsync(mqttAlarmTopic(event.alarm.camera, this.options.topicPrefix), JSON.stringify(event), { qos: 1 });
      return true;
    } finally {
      this.pending--;
    }
  }

  /**
   * Gives in-flight publishes up to `graceMs` to be acknowledged, then disconnects; a graceful end alone would wait
   * forever for a broker that is away.
   */
  async close(graceMs = 2000): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    let timer: NodeJS.Timeout | undefined;
    const graceful = client.endAsync().then(() => true);
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    });
    const ended = await Promise.race([graceful, late]).finally(() => clearTimeout(timer));
    if (!ended) await client.endAsync(true);
  }
}
