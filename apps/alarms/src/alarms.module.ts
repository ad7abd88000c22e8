import { Module } from '@nestjs/common';
import { AlarmSettings, alarmStoreProvider } from '@vigil/alarms';
import { FollowerModule } from '@vigil/kernel';
import { AlarmsMetrics } from './alarms-metrics';
import { ClipCapture } from './clips/clip-capture.service';
import { ClipRetention } from './clips/clip-retention.service';
import { AlarmDelivery } from './delivery/alarm-delivery.service';
import { WebhookDispatch } from './delivery/webhook-dispatch';
import { AlarmsService } from './lifecycle/alarms.service';
import { RecordRetention } from './lifecycle/record-retention.service';

/** Violations to alarms, clips, snapshots and webhooks. Needs ConfigModule, RedisModule, MetricsModule. */
@Module({
  imports: [FollowerModule],
  providers: [AlarmSettings, alarmStoreProvider, AlarmsMetrics, ClipCapture, ClipRetention, AlarmDelivery, WebhookDispatch, AlarmsService, RecordRetention],
})
export class AlarmsModule {}
