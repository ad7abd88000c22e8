import { type DynamicModule, Module } from '@nestjs/common';
import type { VigilConfig } from '@vigil/config';
import { CoreModule } from '@vigil/platform';
import { AlarmsModule } from './alarms.module';

@Module({})
export class AlarmsAppModule {
  static forRoot(config: VigilConfig): DynamicModule {
    return { module: AlarmsAppModule, imports: [CoreModule.forRoot(config), AlarmsModule] };
  }
}
