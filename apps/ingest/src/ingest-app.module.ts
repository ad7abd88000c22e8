import { type DynamicModule, Module } from '@nestjs/common';
import type { VigilConfig } from '@vigil/config';
import { CoreModule } from '@vigil/platform';
import { IngestModule } from './ingest.module';

@Module({})
export class IngestAppModule {
  static forRoot(config: VigilConfig): DynamicModule {
    return { module: IngestAppModule, imports: [CoreModule.forRoot(config), IngestModule] };
  }
}
