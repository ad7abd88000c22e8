import { Global, Module } from '@nestjs/common';
import { CameraShares } from './camera-share';
import { CameraRegistry } from './camera-registry';
import { BusSubscriber } from './frame-subscriber';
import { RedisConnections } from './redis-connections';
import { RedisProbe } from './redis-probe';

@Global()
@Module({
  providers: [RedisConnections, CameraRegistry, CameraShares, BusSubscriber, RedisProbe],
  exports: [RedisConnections, CameraRegistry, CameraShares, BusSubscriber, RedisProbe],
})
export class RedisModule {}
