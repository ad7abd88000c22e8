import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { keys, type ShareRole } from '@vigil/contracts';
import { assignCameras } from './camera-assignment';
import { RedisConnections } from './redis-connections';

// Take a free lease or renew our own, atomically: a slow replica never extends a lease that expired and was taken
// by another meanwhile.
const HOLD = `
local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
if not holder then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
// Release only a lease we hold.
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * The cameras one replica of a service runs. Replicas announce themselves with a heartbeat, agree on who runs what
 * (assignCameras: balanced, and the same answer everywhere), and hold a lease on every camera they run. A camera
 * moving to another replica is never run twice: the new owner gets it once the old one let go (at its next
 * reconcile) or its lease ran out (it died). Call reconcile() more often than the lease lives.
 */
export class CameraShare {
  constructor(
    private readonly redis: Redis,
    readonly role: ShareRole,
    readonly member: string,
    private readonly leaseMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Renews this replica's heartbeat and leases; returns which of `cameras` it runs now. */
  async reconcile(cameras: readonly string[]): Promise<Set<string>> {
    const members = await this.heartbeat();
    const assignment = assignCameras(cameras, members);
    const ids = [...assignment.keys()];
    const pipeline = this.redis.pipeline();
    for (const camera of ids) {
      const key = keys.cameraLease(this.role, camera);
      if (assignment.get(camera) === this.member) pipeline.eval(HOLD, 1, key, this.member, String(this.leaseMs));
      else pipeline.eval(RELEASE, 1, key, this.member);
    }
    const results = (await pipeline.exec()) ?? [];
    const owned = new Set<string>();
    ids.forEach((camera, index) => {
      const [error, held] = results[index] ?? [];
      if (error) throw error;
      if (assignment.get(camera) === this.member && held === 1) owned.add(camera);
    });
    return owned;
  }

  /** Lets go of cameras this replica no longer runs for another reason (deleted, disabled). */
  async release(cameras: Iterable<string>): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const camera of cameras) pipeline.eval(RELEASE, 1, keys.cameraLease(this.role, camera), this.member);
    await pipeline.exec();
  }

  /** Leaves the share at shutdown: the other replicas take these cameras at their next reconcile. */
  async leave(cameras: Iterable<string>): Promise<void> {
    await this.redis.zrem(keys.replicas(this.role), this.member);
    await this.release(cameras);
  }

  /** The live members, this one included; members not heard from for a lease's time are dropped. */
  private async heartbeat(): Promise<string[]> {
    const now = this.clock();
    const key = keys.replicas(this.role);
    const results = await this.redis.multi().zadd(key, now + this.leaseMs, this.member).zremrangebyscore(key, '-inf', now).zrange(key, 0, -1).exec();
    const members = results?.[2]?.[1];
    if (!Array.isArray(members)) throw new Error(`cannot read the ${this.role} replicas: ${String(results?.[2]?.[0] ?? 'transaction aborted')}`);
    return members as string[];
  }
}

/** One CameraShare per service role, on a connection of its own, named by INSTANCE_ID. */
@Injectable()
export class CameraShares {
  private redis?: Redis;

  constructor(
    private readonly connections: RedisConnections,
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
  ) {}

  for(role: ShareRole): CameraShare {
    this.redis ??= this.connections.create('shares');
    return new CameraShare(this.redis, role, this.config.instanceId, this.config.leaseMs);
  }
}
