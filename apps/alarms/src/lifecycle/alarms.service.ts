import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { CAMERA_ID_PATTERN, keys, readViolationMessage, type AlarmEvent, type AlarmRecord } from '@vigil/contracts';
import { alarmIdFor, AlarmSettings, AlarmStore, AlarmTracker } from '@vigil/alarms';
import { RedisConnections, StreamConsumer, type StreamEntry } from '@vigil/redis';
import { ClipCapture, type ClipListener } from '../clips/clip-capture.service';
import { AlarmDelivery } from '../delivery/alarm-delivery.service';
import { AlarmsMetrics } from '../alarms-metrics';

/** How often open alarms are checked for the quiet time that ends them. */
const TICK_MS = 250;

/**
 * Violations in, alarms out. Reads the violations stream through a consumer group (at least once), turns
 * violations into alarm lifecycle events with the tracker, records each event durably, starts and ends the clip,
 * and hands the events to delivery (Socket.IO, webhooks, MQTT). Everything a violation causes is idempotent, so a
 * violation delivered again after a crash changes nothing twice.
 *
 * One alarms process per site: the tracker's episodes live in this process (saved to Redis after every change, so
 * a restart carries them on), and two consumers would split one episode.
 */
@Injectable()
export class AlarmsService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Alarms');
  private readonly tracker: AlarmTracker;
  /** alarms whose record may still change (active, or clip not finished), by id: the one place records are merged */
  private readonly live = new Map<string, AlarmRecord>();
  private consumer!: StreamConsumer;
  private timer?: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
    settings: AlarmSettings,
    private readonly store: AlarmStore,
    private readonly clips: ClipCapture,
    private readonly delivery: AlarmDelivery,
    private readonly metrics: AlarmsMetrics,
    private readonly connections: RedisConnections,
  ) {
    this.tracker = new AlarmTracker(settings.policy, alarmIdFor);
    this.clips.onClip((alarm) => this.serial(() => this.clipChanged(alarm)));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.clips.start();
    const saved = await this.store.loadTracker();
    this.tracker.restore(saved);
    for (const entry of saved) {
      if (!entry.open) continue;
      const record = (await this.store.get(entry.open.id)) ?? entry.open;
      this.live.set(record.id, record);
      // the clip records on from the frames the shutdown staged
      await this.clips.resume(record);
    }
    this.clips.finishStaged();
    if (saved.length) this.logger.log(`carried on ${saved.filter((entry) => entry.open).length} open alarm(s) from before the restart`);
    this.consumer = new StreamConsumer(this.connections.create('alarms-violations'), {
      stream: keys.violations,
      group: keys.violationsGroup,
      consumer: this.config.instanceId,
      deadLetterStream: keys.violationsDeadLetters,
      handle: (entry) => this.serial(() => this.onEntry(entry)),
      onError: (error, entry) => this.logger.warn(`violations${entry ? ` entry ${entry.id}` : ''}: ${error.message}`),
      onDeadLetter: ({ entry, deliveries, error }) => {
        const camera = CAMERA_ID_PATTERN.test(entry.fields.camera ?? '') ? entry.fields.camera! : 'unknown';
        this.metrics.deadLettered.inc({ camera });
        this.logger.error(`violations entry ${entry.id} (camera ${camera}) failed ${deliveries} times and was moved to ${keys.violationsDeadLetters}: ${error.message}`);
      },
      onGroupRecreated: () =>
        this.logger.warn(`the consumer group "${keys.violationsGroup}" of ${keys.violations} was gone (Redis restarted without its data?): created it again; violations written before the loss are gone`),
    });
    await this.consumer.start();
    this.timer = setInterval(() => void this.serial(() => this.tick()), TICK_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.consumer?.stop();
    await this.chain;
  }

  /** One change at a time: violations, ticks and finished clips all touch the same records. */
  private serial(work: () => Promise<void>): Promise<void> {
    const next = this.chain.then(work);
    this.chain = next.catch((error: Error) => this.logger.warn(error.message));
    return next;
  }

  private async onEntry(entry: StreamEntry): Promise<void> {
    // a bad entry is acknowledged and dropped (it would otherwise come back forever), counted and logged once a minute
    const violation = this.metrics.badMessages.accept(entry.fields.camera ?? '', keys.violations, readViolationMessage(entry.fields.event));
    if (!violation) return;
    const before = this.tracker.suppressed(violation.camera, violation.rule);
    await this.apply(this.tracker.onViolation(violation, entry.id));
    if (this.tracker.suppressed(violation.camera, violation.rule) > before) this.metrics.suppressed.inc({ camera: violation.camera, rule: violation.rule });
  }

  private async tick(): Promise<void> {
    const ended = this.tracker.tick(Date.now());
    if (ended.length) await this.apply(ended);
  }

  private async apply(events: AlarmEvent[]): Promise<void> {
    if (events.length === 0) return;
    for (const event of events) {
      const alarm = this.merge(event.alarm);
      if (event.type === 'start') alarm.snapshot = await this.clips.begin(alarm);
      if (event.type === 'end') this.clips.end(alarm);
      const merged = { type: event.type, alarm: { ...alarm } };
      await this.store.record(merged);
      await this.delivery.deliver(merged);
      this.metrics.events.inc({ camera: alarm.camera, rule: alarm.rule, type: event.type });
      if (event.type === 'start') this.logger.log(`alarm ${alarm.id}: camera ${alarm.camera} rule ${alarm.rule} (${alarm.classes.join(', ')}, score ${alarm.score.toFixed(2)})`);
      this.forgetIfDone(alarm);
    }
    await this.store.saveTracker(this.tracker.snapshot(Date.now()));
  }

  /** A clip changed state (encoding, ready, failed): record it and tell the clients. */
  private async clipChanged(update: Parameters<ClipListener>[0]): Promise<void> {
    const alarm = this.live.get(update.id) ?? (await this.store.get(update.id));
    if (!alarm) return;
    if (update.clip) alarm.clip = update.clip;
    if (update.snapshot !== undefined) alarm.snapshot = update.snapshot;
    await this.store.update(alarm);
    await this.delivery.clipChanged({ type: 'update', alarm: { ...alarm } });
    this.forgetIfDone(alarm);
  }

  /** The tracker owns the lifecycle fields, the clip capture owns snapshot and clip. */
  private merge(fromTracker: AlarmRecord): AlarmRecord {
    const current = this.live.get(fromTracker.id);
    const alarm = current ? { ...fromTracker, snapshot: current.snapshot, clip: current.clip } : { ...fromTracker };
    this.live.set(alarm.id, alarm);
    return alarm;
  }

  private forgetIfDone(alarm: AlarmRecord): void {
    const settled = alarm.clip.state !== 'recording' && alarm.clip.state !== 'encoding';
    if (alarm.state === 'ended' && settled) this.live.delete(alarm.id);
  }
}
