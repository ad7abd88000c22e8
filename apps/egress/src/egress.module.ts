import { Module } from '@nestjs/common';
import { FollowerModule } from '@vigil/kernel';
import { CodecProbe } from '@vigil/media';
import { EgressAudio } from './egress-audio';
import { EgressEncoders } from './egress-encoders';
import { EgressMetrics } from './egress-metrics';
import { EgressController } from './egress.controller';
import { EgressService } from './egress.service';

/** Frames re-encoded to H.264 and pushed to RTMP/RTSP servers. Needs ConfigModule, RedisModule, MetricsModule. */
@Module({
  imports: [FollowerModule],
  controllers: [EgressController],
  providers: [EgressService, EgressEncoders, EgressMetrics, EgressAudio, { provide: CodecProbe, useFactory: () => new CodecProbe() }],
})
export class EgressModule {}
