import { Controller } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { controlEvents } from '@vigil/contracts';
import { EgressService } from './egress.service';

/** Control messages over NestJS's Redis transport: the registry changed, look again (as ingest does). */
@Controller()
export class EgressControlController {
  constructor(private readonly egress: EgressService) {}

  @EventPattern(controlEvents.camerasChanged)
  async camerasChanged(): Promise<void> {
    await this.egress.reconcile();
  }
}
