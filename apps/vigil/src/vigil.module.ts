import { type DynamicModule, Module } from '@nestjs/common';
import type { VigilConfig } from '@vigil/config';
import { CoreModule } from '@vigil/platform';
import { AlarmsModule } from '../../alarms/src/alarms.module';
import { EgressModule } from '../../egress/src/egress.module';
import { IngestModule } from '../../ingest/src/ingest.module';
import { InferenceModule } from '../../inference/src/inference.module';
import { PublishModule } from '../../publish/src/publish.module';
import { StitchModule } from '../../stitch/src/stitch.module';

/** Every service in one process: the demo and small sites run this. */
@Module({})
export class VigilModule {
  static forRoot(config: VigilConfig): DynamicModule {
    return { module: VigilModule, imports: [CoreModule.forRoot(config), IngestModule, InferenceModule, AlarmsModule, EgressModule, StitchModule, PublishModule] };
  }
}
