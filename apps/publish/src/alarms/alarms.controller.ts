import { STATUS_CODES } from 'node:http';
import { Controller, Get, HttpException, NotFoundException, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { AlarmPage } from '@vigil/alarms';
import type { CameraScope } from '@vigil/auth';
import { Access, CurrentScope, type ApiError } from '@vigil/platform';
import { AlarmsQueryService, type AlarmDetail, type AlarmFile } from './alarms.service';

@Controller('api/alarms')
@Access('viewer')
export class AlarmsController {
  constructor(private readonly alarms: AlarmsQueryService) {}

  @Get()
  list(@Query() query: Record<string, unknown>, @CurrentScope() scope: CameraScope): Promise<AlarmPage> {
    return this.alarms.list(query, scope);
  }

  @Get(':id')
  get(@Param('id') id: string, @CurrentScope() scope: CameraScope): Promise<AlarmDetail> {
    return this.alarms.detail(id, scope);
  }

  @Get(':id/clip')
  @Access('viewer', { signedLink: true })
  async clip(@Param('id') id: string, @CurrentScope() scope: CameraScope, @Res() res: Response): Promise<void> {
    await send(res, await this.alarms.clip(id, scope));
  }

  @Get(':id/snapshot')
  @Access('viewer', { signedLink: true })
  async snapshot(@Param('id') id: string, @CurrentScope() scope: CameraScope, @Res() res: Response): Promise<void> {
    await send(res, await this.alarms.snapshot(id, scope));
  }
}

/**
 * Express's sendFile answers Range requests (206, 416) and conditional GETs, which browsers need to seek a video.
 * The file is named relative to the alarms directory (`root`), so the dot-file rule applies to the name alone:
 * with an absolute path it refused every file under the default `.vigil/alarms`.
 */
function send(res: Response, file: AlarmFile): Promise<void> {
  return new Promise((resolve, reject) => {
    res.sendFile(file.name, { root: file.dir, headers: { 'Content-Type': file.contentType }, dotfiles: 'deny' }, (error?: NodeJS.ErrnoException) => {
      if (!error) return resolve();
      if (res.headersSent) return resolve(); // the client went away mid-file
      if (error.code === 'ENOENT') return reject(new NotFoundException('the file is gone (retention removed it)'));
      // the file sender's own refusals (a Range it cannot satisfy answers itself; this is the rest) keep their status
      const status = (error as { status?: unknown }).status;
      reject(typeof status === 'number' && status >= 400 && status < 500 ? new HttpException({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', message: error.message } satisfies ApiError, status) : error);
    });
  });
}
