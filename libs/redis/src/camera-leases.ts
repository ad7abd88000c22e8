import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { keys } from '@vigil/contracts';
import { RedisConnections } from './redis-connections';

// Renew or release only a lease we hold, atomically, so a slow instance never extends or deletes
// a lease that expired and was taken by another replica meanwhile.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** Claims on cameras, so that several ingest replicas share the cameras and each is captured once. */
@Injectable()
export class CameraLeases implements OnModuleInit {
  private redis!: Redis;

  constructor(
    private readonly connections: RedisConnections,
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
  ) {}

  onModuleInit(): void {
    this.redis = this.connections.create('leases');
  }

  get owner(): string {
    return this.config.instanceId;
  }

  /** Takes the lease if it is free or renews it if it is ours; false when another instance holds it. */
  async claim(camera: string): Promise<boolean> {
    const key = keys.cameraLease(camera);
    const renewed = (await this.redis.eval(RENEW, 1, key, this.owner, String(this.config.leaseMs))) as number;
    if (renewed === 1) return true;
    const taken = await this.redis.set(key, this.owner, 'PX', this.config.leaseMs, 'NX');
    return taken === 'OK';
  }

  async release(camera: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, keys.cameraLease(camera), this.owner);
  }
}
