import { Global, Module } from '@nestjs/common';
import { CameraShares } from './camera-share';
import { CameraRegistry } from './camera-registry';
import { BusSubscriber } from './frame-subscriber';
import { RedisConnections } from './redis-connections';
import { RedisProbe } from './redis-probe';
import { StitchCalibrations } from './stitch-calibrations';
import { CameraStatuses, InferenceStatuses, StitchStatuses } from './status';

@Global()
@Module({
  providers: [RedisConnections, CameraRegistry, CameraShares, BusSubscriber, RedisProbe, CameraStatuses, InferenceStatuses, StitchStatuses, StitchCalibrations],
  exports: [RedisConnections, CameraRegistry, CameraShares, BusSubscriber, RedisProbe, CameraStatuses, InferenceStatuses, StitchStatuses, StitchCalibrations],
})
export class RedisModule {}
