import { type DynamicModule, Module } from '@nestjs/common';
import type { VigilConfig } from '@vigil/config';
import { CoreModule } from '@vigil/platform';
import { StitchModule } from './stitch.module';

@Module({})
export class StitchAppModule {
  static forRoot(config: VigilConfig): DynamicModule {
    return { module: StitchAppModule, imports: [CoreModule.forRoot(config), StitchModule] };
  }
}
