import { Module } from '@nestjs/common';
import { MediaModule } from '@vigil/media';
import { CamerasControlController } from './cameras/cameras-control.controller';
import { IngestMetrics } from './cameras/ingest-metrics';
import { IngestService } from './cameras/ingest.service';

/** Capture: one runner per owned camera, frames to the Redis frame bus. Needs ConfigModule, RedisModule, MetricsModule. */
@Module({
  imports: [MediaModule],
  controllers: [CamerasControlController],
  providers: [IngestService, IngestMetrics],
  exports: [IngestService],
})
export class IngestModule {}
