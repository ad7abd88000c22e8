import { Module } from '@nestjs/common';
import { FollowerModule } from '@vigil/kernel';
import { libraryStitchEngine } from './panorama/library-stitch-engine';
import { STITCH_ENGINE } from './panorama/stitch-engine';
import { StitchCalibrateController } from './stitch-calibrate.controller';
import { StitchMetrics } from './stitch-metrics';
import { StitchService } from './stitch.service';

/** Panoramas: two cameras' frames into one camera's. Needs ConfigModule, RedisModule, MetricsModule. */
@Module({
  imports: [FollowerModule],
  controllers: [StitchCalibrateController],
  providers: [StitchService, StitchMetrics, { provide: STITCH_ENGINE, useFactory: libraryStitchEngine }],
})
export class StitchModule {}
