import { Inject, Injectable, Logger } from '@nestjs/common';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import type { ShareRole } from '@vigil/contracts';
import { CameraRegistry, CameraShares } from '@vigil/redis';
import { reconcileIntervalMs } from './follower-defaults';
import { RegistryFollower, type RegistryFollowerOptions } from './registry-follower';

export interface FollowOptions extends Omit<RegistryFollowerOptions, 'registry' | 'share' | 'intervalMs' | 'logger'> {
  /** the replicas of this role divide the cameras between them (leases); 'none': every replica runs every camera */
  share: ShareRole | 'none';
  /** Default: a Logger named after the follower */
  logger?: RegistryFollowerOptions['logger'];
}

/**
 * Makes the registry followers of a process, on its registry and shares, and knows them all: a "cameras changed"
 * control message makes each one look again (RegistryChangedController), whichever services this process runs.
 */
@Injectable()
export class RegistryFollowers {
  private readonly followers = new Set<RegistryFollower>();

  constructor(
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
    private readonly registry: CameraRegistry,
    private readonly shares: CameraShares,
  ) {}

  create(options: FollowOptions): RegistryFollower {
    const share = options.share === 'none' ? undefined : this.shares.for(options.share);
    const follower = new RegistryFollower(
      {
        ...options,
        registry: this.registry,
        share,
        // without leases there is nothing to renew: only the cap applies
        intervalMs: reconcileIntervalMs(share ? this.config.leaseMs : undefined),
        logger: options.logger ?? new Logger(options.name),
      },
      (stopped) => this.followers.delete(stopped),
    );
    this.followers.add(follower);
    return follower;
  }

  /** The registry changed: every follower of this process passes again (each coalesces its own calls). */
  async reconcileAll(): Promise<void> {
    await Promise.all([...this.followers].map((follower) => follower.reconcile()));
  }
}
