import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { CAMERA_ID_PATTERN, controlEvents } from '@vigil/contracts';
import { StitchService } from './stitch.service';

/** POST /api/stitch/:id/calibrate, sent by publish over the control transport to every process: the one making it calibrates. */
@Controller()
export class StitchCalibrateController {
  private readonly logger = new Logger('Stitch');

  constructor(private readonly stitch: StitchService) {}

  @EventPattern(controlEvents.stitchCalibrate)
  calibrate(@Payload() payload: unknown): void {
    // anyone who can publish on Redis can send this: only a camera id is taken
    const id = (payload as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' || !CAMERA_ID_PATTERN.test(id)) {
      this.logger.debug('ignored a calibration request without a camera id');
      return;
    }
    this.stitch.calibrate(id);
  }
}
