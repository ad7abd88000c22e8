import { type DynamicModule, Module } from '@nestjs/common';
import type { VigilConfig } from '@vigil/config';
import { CoreModule } from '@vigil/platform';
import { PublishModule } from './publish.module';

@Module({})
export class PublishAppModule {
  static forRoot(config: VigilConfig): DynamicModule {
    return { module: PublishAppModule, imports: [CoreModule.forRoot(config), PublishModule] };
  }
}
