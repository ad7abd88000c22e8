import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, type VigilConfig } from '@vigil/config';
import { MetricsModule } from '@vigil/metrics';
import { RedisModule } from '@vigil/redis';
import { AccessModule } from './access';
import { HealthController } from './health.controller';
import { ReadinessModule } from './readiness';

/** What every vigil process has: validated config, Redis, metrics, access control, the health routes (with the readiness checks services add) and /metrics. */
@Module({})
export class CoreModule {
  static forRoot(config: VigilConfig): DynamicModule {
    return {
      module: CoreModule,
      imports: [ConfigModule.forRoot(config), RedisModule, MetricsModule, AccessModule, ReadinessModule],
      controllers: [HealthController],
    };
  }
}
