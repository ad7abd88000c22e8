import { type DynamicModule, Module } from '@nestjs/common';
import type { VigilConfig } from '@vigil/config';
import { CoreModule } from '@vigil/platform';
import { InferenceModule } from './inference.module';

@Module({})
export class InferenceAppModule {
  static forRoot(config: VigilConfig): DynamicModule {
    return { module: InferenceAppModule, imports: [CoreModule.forRoot(config), InferenceModule] };
  }
}
