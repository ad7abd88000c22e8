import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, type VigilConfig } from '@vigil/config';
import { MetricsModule } from '@vigil/metrics';
import { RedisModule } from '@vigil/redis';
import { HealthController } from './health.controller';

/** What every vigil process has: validated config, Redis, metrics, /healthz and /metrics. */
@Module({})
export class CoreModule {
  static forRoot(config: VigilConfig): DynamicModule {
    return {
      module: CoreModule,
      imports: [ConfigModule.forRoot(config), RedisModule, MetricsModule],
      controllers: [HealthController],
    };
  }
}
