import { Controller, Get, Param } from '@nestjs/common';
import type { EgressStatus } from '@vigil/contracts';
import { EgressService } from './egress.service';

/** The pushes this process runs: state, reason, frames pushed and dropped, reconnects. */
@Controller('api/egress')
export class EgressController {
  constructor(private readonly egress: EgressService) {}

  @Get()
  list(): EgressStatus[] {
    return this.egress.statuses();
  }

  @Get(':camera')
  get(@Param('camera') camera: string): EgressStatus {
    return this.egress.status(camera);
  }
}
