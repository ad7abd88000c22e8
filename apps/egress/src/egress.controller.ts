import { Controller, Get, Param } from '@nestjs/common';
import type { EgressStatus } from '@vigil/contracts';
import { Access } from '@vigil/platform';
import { EgressService } from './egress.service';

/** The pushes this process runs: state, reason, frames pushed and dropped, reconnects. Admins only: it is configuration. */
@Controller('api/egress')
@Access('admin')
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
