import { Global, Module } from '@nestjs/common';
import { CameraShares } from './camera-share';
import { CameraRegistry } from './camera-registry';
import { BusSubscriber } from './frame-subscriber';
import { RedisConnections } from './redis-connections';

@Global()
@Module({
  providers: [RedisConnections, CameraRegistry, CameraShares, BusSubscriber],
  exports: [RedisConnections, CameraRegistry, CameraShares, BusSubscriber],
})
export class RedisModule {}
