import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { AlarmStore } from '@vigil/alarms';

/** How often old alarm records are looked for; they age by days, so hourly is plenty. */
const EVERY_MS = 3_600_000;

/**
 * Deletes alarm records older than ALARM_RECORD_RETENTION_DAYS from Redis, with their index entries, so the history
 * does not grow without end (their clips and snapshots went earlier, by the clip retention).
 */
@Injectable()
export class RecordRetention implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Retention');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
    private readonly store: AlarmStore,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.run(), EVERY_MS);
    void this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; a pass still running is not started twice. */
  run(now = Date.now()): Promise<void> {
    this.running ??= this.pass(now).finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(now: number): Promise<void> {
    try {
      const removed = await this.store.removeStartedBefore(now - this.config.alarms.retention.recordMaxAgeMs);
      if (removed) this.logger.log(`deleted ${removed} alarm record(s) older than ${Math.round(this.config.alarms.retention.recordMaxAgeMs / 86_400_000)} days`);
    } catch (error) {
      this.logger.warn(`record retention pass failed: ${(error as Error).message}`);
    }
  }
}
