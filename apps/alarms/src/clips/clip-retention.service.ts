import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AlarmStore } from '@vigil/alarms';
import { ClipCapture } from './clip-capture.service';

const EVERY_MS = 60_000;

/**
 * Deletes the oldest clips and snapshots past the retention limits (age, total size) and marks their alarms, whose
 * records stay: the history keeps what happened, the disk keeps what fits.
 */
@Injectable()
export class ClipRetention implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Retention');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly clips: ClipCapture,
    private readonly store: AlarmStore,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.run(), EVERY_MS);
    this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass (also called by tests); a pass still running is not started twice. */
  run(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    try {
      await this.clips.store.open(); // the first pass may start before the clip recorder created the folder
      const outcome = await this.clips.store.enforceRetention(Date.now(), this.clips.busy());
      for (const id of outcome.deleted) {
        const alarm = await this.store.get(id);
        if (!alarm) continue;
        await this.store.update({ ...alarm, snapshot: false, clip: { ...alarm.clip, state: 'deleted' } });
      }
      if (outcome.deleted.length) this.logger.log(`deleted the clips of ${outcome.deleted.length} alarm(s); ${Math.round(outcome.bytes / 1048576)} MiB kept`);
    } catch (error) {
      this.logger.warn(`retention pass failed: ${(error as Error).message}`);
    }
  }
}
