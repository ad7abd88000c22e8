import { Module } from '@nestjs/common';
import { FollowerModule } from '@vigil/kernel';
import { MediaModule } from '@vigil/media';
import { RegistryGeneration } from '@vigil/redis';
import { CamerasFileSeed } from './cameras/cameras-file-seed';
import { IngestMetrics } from './cameras/ingest-metrics';
import { IngestService } from './cameras/ingest.service';

/** Capture: one runner per owned camera, frames to the Redis frame bus. Needs ConfigModule, RedisModule, MetricsModule. */
@Module({
  imports: [MediaModule, FollowerModule],
  providers: [IngestService, IngestMetrics, CamerasFileSeed, RegistryGeneration],
  exports: [IngestService],
})
export class IngestModule {}
