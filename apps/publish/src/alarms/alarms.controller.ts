import { Controller, Get, NotFoundException, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { AlarmPage } from '@vigil/alarms';
import { AlarmsQueryService, type AlarmDetail, type AlarmFile } from './alarms.service';

@Controller('api/alarms')
export class AlarmsController {
  constructor(private readonly alarms: AlarmsQueryService) {}

  @Get()
  list(@Query() query: Record<string, unknown>): Promise<AlarmPage> {
    return this.alarms.list(query);
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<AlarmDetail> {
    return this.alarms.detail(id);
  }

  @Get(':id/clip')
  async clip(@Param('id') id: string, @Res() res: Response): Promise<void> {
    await send(res, await this.alarms.clip(id));
  }

  @Get(':id/snapshot')
  async snapshot(@Param('id') id: string, @Res() res: Response): Promise<void> {
    await send(res, await this.alarms.snapshot(id));
  }
}

/** Express's sendFile answers Range requests (206, 416) and conditional GETs, which browsers need to seek a video. */
function send(res: Response, file: AlarmFile): Promise<void> {
  return new Promise((resolve, reject) => {
    res.sendFile(file.path, { headers: { 'Content-Type': file.contentType }, dotfiles: 'deny' }, (error?: NodeJS.ErrnoException) => {
      if (!error) return resolve();
      if (res.headersSent) return resolve(); // the client went away mid-file
      reject(error.code === 'ENOENT' ? new NotFoundException('the file is gone (retention removed it)') : error);
    });
  });
}
