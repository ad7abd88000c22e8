import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ClientsModule } from '@nestjs/microservices';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { controlTransport } from '@vigil/platform';
import { AlarmSettings, alarmStoreProvider } from '@vigil/alarms';
import { AuditController } from './access/audit.controller';
import { AuthController } from './access/auth.controller';
import { TokensController } from './access/tokens.controller';
import { UsersController } from './access/users.controller';
import { AlarmsController } from './alarms/alarms.controller';
import { AlarmsQueryService } from './alarms/alarms.service';
import { CamerasController } from './cameras/cameras.controller';
import { CamerasService } from './cameras/cameras.service';
import { CONTROL_CLIENT } from './control';
import { FrameFanout } from './live/frame-fanout';
import { FramesGateway } from './live/frames.gateway';
import { PublishMetrics } from './live/publish-metrics';
import { ApiReference } from './openapi/api-reference';
import { ApiReferenceController } from './openapi/api-reference.controller';
import { StitchApiService } from './stitch/stitch-api.service';
import { StitchController } from './stitch/stitch.controller';

/** REST API, Socket.IO fan-out, the web page and the API reference. Needs ConfigModule, RedisModule, MetricsModule. */
@Module({
  imports: [
    DiscoveryModule,
    ClientsModule.registerAsync([
      { name: CONTROL_CLIENT, inject: [VIGIL_CONFIG], useFactory: (config: VigilConfig) => controlTransport(config) as never },
    ]),
  ],
  controllers: [CamerasController, StitchController, AlarmsController, AuthController, TokensController, UsersController, AuditController, ApiReferenceController],
  providers: [AlarmSettings, alarmStoreProvider, AlarmsQueryService, CamerasService, StitchApiService, FrameFanout, FramesGateway, PublishMetrics, ApiReference],
})
export class PublishModule {}
