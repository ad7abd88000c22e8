import { Injectable, Logger } from '@nestjs/common';
import { BadMessages, MetricsService, removeCameraSeries } from '@vigil/metrics';

@Injectable()
export class AlarmsMetrics {
  readonly events;
  readonly suppressed;
  readonly clips;
  readonly clipSeconds;
  readonly ringDropped;
  readonly clipOmitted;
  readonly deadLettered;
  /** read at each scrape: bytes held for clips per camera */
  private clipMemorySource: () => Iterable<[camera: string, bytes: number]> = () => [];
  /** frames off the bus and violation entries that were not valid */
  readonly badMessages: BadMessages;

  constructor(metrics: MetricsService) {
    this.events = metrics.counter({ name: 'vigil_alarm_events_total', help: 'Alarm lifecycle events', labelNames: ['camera', 'rule', 'type'] });
    this.suppressed = metrics.counter({ name: 'vigil_alarm_suppressed_total', help: 'Violations that fell in a cooldown and raised no alarm', labelNames: ['camera', 'rule'] });
    this.clips = metrics.counter({ name: 'vigil_alarm_clips_total', help: 'Alarm clips by outcome', labelNames: ['camera', 'outcome'] });
    this.clipSeconds = metrics.counter({ name: 'vigil_alarm_clip_encode_seconds_total', help: 'Time spent encoding clips', labelNames: ['encoder'] });
    this.badMessages = new BadMessages(metrics, 'alarms', new Logger('Alarms'));
    this.ringDropped = metrics.counter({ name: 'vigil_alarm_ring_dropped_total', help: 'Frames dropped from the pre-alarm ring to stay within its bounds', labelNames: ['camera'] });
    const source = () => this.clipMemorySource();
    metrics.gauge({
      name: 'vigil_alarm_clip_memory_bytes',
      help: 'JPEG bytes a camera holds for clips: its ring and its recordings (ALARM_CLIP_MEMORY_MB)',
      labelNames: ['camera'],
      collect() {
        this.reset();
        for (const [camera, bytes] of source()) this.set({ camera }, bytes);
      },
    });
    this.deadLettered = metrics.counter({
      name: 'vigil_alarm_violations_dead_lettered_total',
      help: 'Violation entries whose handling failed every try, moved to the dead-letter stream (vigil:violations:dead)',
      labelNames: ['camera'],
    });
    this.clipOmitted = metrics.counter({ name: 'vigil_alarm_clip_frames_omitted_total', help: 'Frames left out of clips to stay within ALARM_CLIP_MEMORY_MB or a clip bound', labelNames: ['camera'] });
  }

  /** Removes the series of a camera that is gone (its clip memory gauge follows the source). */
  async forget(camera: string): Promise<void> {
    await removeCameraSeries([this.events, this.suppressed, this.clips, this.ringDropped, this.clipOmitted], camera);
    await this.badMessages.forget(camera);
  }

  observeClipMemory(source: () => Iterable<[camera: string, bytes: number]>): void {
    this.clipMemorySource = source;
  }
}
