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
  private again = false;
  private stopped = false;

  constructor(
    private readonly clips: ClipCapture,
    private readonly store: AlarmStore,
  ) {
    // a full disk fails every clip until space is freed: a pass now, not at the next tick
    clips.onDiskFull(() => void this.run());
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.run(), EVERY_MS);
    this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /**
   * One pass (also called by tests); a pass still running is not started twice, but a call during it gets one more
   * pass after it (the disk may have filled after the running one looked).
   */
  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        void this.run();
      }
    });
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
      if (outcome.deleted.length) {
        this.logger.log(`deleted the clips of ${outcome.deleted.length} alarm(s); ${mib(outcome.bytes)} MiB kept, ${mib(outcome.freeBytes)} MiB free on the disk`);
      }
    } catch (error) {
      this.logger.warn(`retention pass failed: ${(error as Error).message}`);
    }
  }
}

function mib(bytes: number): number {
  return Math.round(bytes / 1048576);
}
