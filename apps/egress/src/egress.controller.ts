import { Controller, Get, Param } from '@nestjs/common';
import { API_STATUS_DETAIL, egressStatusView, type EgressStatus } from '@vigil/contracts';
import { EgressService } from './egress.service';

/** The pushes this process runs: state, reason (generic: ffmpeg's own is in the log), frames pushed and dropped, reconnects. */
@Controller('api/egress')
export class EgressController {
  constructor(private readonly egress: EgressService) {}

  @Get()
  list(): EgressStatus[] {
    return this.egress.statuses().map((status) => egressStatusView(status, API_STATUS_DETAIL));
  }

  @Get(':camera')
  get(@Param('camera') camera: string): EgressStatus {
    return egressStatusView(this.egress.status(camera), API_STATUS_DETAIL);
  }
}
