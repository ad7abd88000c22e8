import { type DynamicModule, Module } from '@nestjs/common';
import type { VigilConfig } from '@vigil/config';
import { CoreModule } from '@vigil/platform';
import { EgressModule } from './egress.module';

@Module({})
export class EgressAppModule {
  static forRoot(config: VigilConfig): DynamicModule {
    return { module: EgressAppModule, imports: [CoreModule.forRoot(config), EgressModule] };
  }
}
