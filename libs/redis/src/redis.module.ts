import { Global, Module } from '@nestjs/common';
import { CameraLeases } from './camera-leases';
import { CameraRegistry } from './camera-registry';
import { BusSubscriber } from './frame-subscriber';
import { RedisConnections } from './redis-connections';

@Global()
@Module({
  providers: [RedisConnections, CameraRegistry, CameraLeases, BusSubscriber],
  exports: [RedisConnections, CameraRegistry, CameraLeases, BusSubscriber],
})
export class RedisModule {}
