import { Global, Module } from '@nestjs/common';
import { CameraLeases } from './camera-leases';
import { CameraRegistry } from './camera-registry';
import { FrameSubscriber } from './frame-subscriber';
import { RedisConnections } from './redis-connections';

@Global()
@Module({
  providers: [RedisConnections, CameraRegistry, CameraLeases, FrameSubscriber],
  exports: [RedisConnections, CameraRegistry, CameraLeases, FrameSubscriber],
})
export class RedisModule {}
