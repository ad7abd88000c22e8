import { Controller } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { controlEvents } from '@vigil/contracts';
import { RegistryFollowers } from './registry-followers';

/**
 * The "cameras changed" control message (NestJS's Redis transport; publish's cameras service sends it after every
 * write): every registry follower of this process looks again now rather than at its next timer pass.
 */
@Controller()
export class RegistryChangedController {
  constructor(private readonly followers: RegistryFollowers) {}

  @EventPattern(controlEvents.camerasChanged)
  async camerasChanged(): Promise<void> {
    await this.followers.reconcileAll();
  }
}
