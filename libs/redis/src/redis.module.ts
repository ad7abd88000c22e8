import { Global, Module } from '@nestjs/common';
import { CameraShares } from './camera-share';
import { CameraRegistry } from './camera-registry';
import { BusSubscriber } from './frame-subscriber';
import { RedisConnections } from './redis-connections';
import { RedisProbe } from './redis-probe';
import { CameraStatuses, InferenceStatuses } from './status';

@Global()
@Module({
  providers: [RedisConnections, CameraRegistry, CameraShares, BusSubscriber, RedisProbe, CameraStatuses, InferenceStatuses],
  exports: [RedisConnections, CameraRegistry, CameraShares, BusSubscriber, RedisProbe, CameraStatuses, InferenceStatuses],
})
export class RedisModule {}
