import { Controller, Get, Header, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Access } from '@vigil/auth';
import { MetricsService } from './metrics.service';

@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get('metrics')
  @Access('metrics')
  @Header('Cache-Control', 'no-store')
  async metricsText(@Res() response: Response): Promise<void> {
    response.type(this.metrics.contentType()).send(await this.metrics.text());
  }
}
