import { Injectable, Logger } from '@nestjs/common';
import { BadMessages, MetricsService } from '@vigil/metrics';

@Injectable()
export class AlarmsMetrics {
  readonly events;
  readonly suppressed;
  readonly clips;
  readonly clipSeconds;
  readonly ringDropped;
  /** frames off the bus and violation entries that were not valid */
  readonly badMessages: BadMessages;

  constructor(metrics: MetricsService) {
    this.events = metrics.counter({ name: 'vigil_alarm_events_total', help: 'Alarm lifecycle events', labelNames: ['camera', 'rule', 'type'] });
    this.suppressed = metrics.counter({ name: 'vigil_alarm_suppressed_total', help: 'Violations that fell in a cooldown and raised no alarm', labelNames: ['camera', 'rule'] });
    this.clips = metrics.counter({ name: 'vigil_alarm_clips_total', help: 'Alarm clips by outcome', labelNames: ['camera', 'outcome'] });
    this.clipSeconds = metrics.counter({ name: 'vigil_alarm_clip_encode_seconds_total', help: 'Time spent encoding clips', labelNames: ['encoder'] });
    this.badMessages = new BadMessages(metrics, 'alarms', new Logger('Alarms'));
    this.ringDropped = metrics.counter({ name: 'vigil_alarm_ring_dropped_total', help: 'Frames dropped from the pre-alarm ring or a recording to stay within its bounds', labelNames: ['camera'] });
  }
}
