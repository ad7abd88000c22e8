import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { CAMERA_ID_PATTERN, keys, readViolationMessage, type AlarmEvent, type AlarmRecord } from '@vigil/contracts';
import { alarmIdFor, AlarmSettings, AlarmStore, AlarmTracker, type TrackerChange } from '@vigil/alarms';
import { ThrottledLog } from '@vigil/metrics';
import { Readiness } from '@vigil/platform';
import { RedisConnections, StreamConsumer, type StreamEntry } from '@vigil/redis';
import { ClipCapture, type ClipListener } from '../clips/clip-capture.service';
import { AlarmDelivery } from '../delivery/alarm-delivery.service';
import { AlarmsMetrics } from '../alarms-metrics';

/** How often open alarms are checked for the quiet time that ends them. */
const TICK_MS = 250;
/** the same failure is logged at most once this often, ms */
const FAILURE_LOG_MS = 10_000;

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
  private stopping = false;
  private chain: Promise<void> = Promise.resolve();
  private readonly failures = new ThrottledLog((line) => this.logger.warn(line), { intervalMs: FAILURE_LOG_MS });

  constructor(
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
    settings: AlarmSettings,
    private readonly store: AlarmStore,
    private readonly clips: ClipCapture,
    private readonly delivery: AlarmDelivery,
    private readonly metrics: AlarmsMetrics,
    private readonly connections: RedisConnections,
    private readonly readiness: Readiness,
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
      handle: (entry) => this.handleEntry(entry),
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
    this.readiness.register('violations', () => this.consumer.reading);
    // after a restart the violations that came meanwhile are read first: a tick before them would end an alarm
    // they continue, and the next one would start it again as a second alarm
    void this.consumer.caughtUp.then(() => {
      if (!this.stopping) this.timer = setInterval(() => void this.tick(), TICK_MS);
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.consumer?.stop();
    await this.chain;
  }

  /** One change at a time: violations, ticks and finished clips all touch the same records. */
  private serial(work: () => Promise<void>): Promise<void> {
    const next = this.chain.then(work);
    // a write that fails while Redis is away fails every tick: one line per distinct error per interval
    this.chain = next.catch((error: Error) => void this.failures.log(error.message, error.message));
    return next;
  }

  /**
   * The consumer's handler for one violations entry. The tracker's change takes effect only once its events are
   * recorded, queued for delivery and the tracker state saved: when a write fails this throws, the entry stays
   * unacknowledged, and its next delivery gives the same events again (the same alarm start, same id), not a lost one.
   */
  handleEntry(entry: StreamEntry): Promise<void> {
    return this.serial(() => this.onEntry(entry));
  }

  /** Ends the alarms that went quiet by `now` (the timer calls it; so can tests). */
  tick(now = Date.now()): Promise<void> {
    return this.serial(() => this.apply(this.tracker.propose((draft) => draft.tick(now))));
  }

  private async onEntry(entry: StreamEntry): Promise<void> {
    // a bad entry is acknowledged and dropped (it would otherwise come back forever), counted and logged once a minute
    const violation = this.metrics.badMessages.accept(entry.fields.camera ?? '', keys.violations, readViolationMessage(entry.fields.event));
    if (!violation) return;
    const before = this.tracker.suppressed(violation.camera, violation.rule);
    // saved even when it only extends an alarm: the entry is acknowledged next, and a restart must carry on from here
    await this.apply(this.tracker.propose((draft) => draft.onViolation(violation, entry.id)), 'always');
    if (this.tracker.suppressed(violation.camera, violation.rule) > before) this.metrics.suppressed.inc({ camera: violation.camera, rule: violation.rule });
  }

  /** Durable first: the change is committed to the tracker only after every write it needs has succeeded. */
  private async apply(change: TrackerChange, save: 'always' | 'on-events' = 'on-events'): Promise<void> {
    if (change.events.length === 0 && save === 'on-events') return change.commit();
    for (const event of change.events) {
      const alarm = this.merge(event.alarm);
      // both idempotent, so a change tried again after a failed write begins and ends the clip once
      if (event.type === 'start') alarm.snapshot = await this.clips.begin(alarm);
      if (event.type === 'end') this.clips.end(alarm);
      const merged = { type: event.type, alarm: { ...alarm } };
      await this.store.record(merged);
      await this.delivery.deliver(merged);
    }
    await this.store.saveTracker(change.snapshot(Date.now()));
    change.commit();
    for (const { type, alarm } of change.events) {
      this.metrics.events.inc({ camera: alarm.camera, rule: alarm.rule, type });
      if (type === 'start') this.logger.log(`alarm ${alarm.id}: camera ${alarm.camera} rule ${alarm.rule} (${alarm.classes.join(', ')}, score ${alarm.score.toFixed(2)})`);
      this.forgetIfDone(this.live.get(alarm.id) ?? alarm);
    }
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
