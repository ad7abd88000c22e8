import { Controller } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { controlEvents } from '@vigil/contracts';
import { IngestService } from './ingest.service';

/** Control messages over NestJS's Redis transport: the registry changed, look again. */
@Controller()
export class CamerasControlController {
  constructor(private readonly ingest: IngestService) {}

  @EventPattern(controlEvents.camerasChanged)
  async camerasChanged(): Promise<void> {
    await this.ingest.reconcile();
  }
}
