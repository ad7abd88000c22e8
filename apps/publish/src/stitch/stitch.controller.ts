import { Body, Controller, Delete, HttpCode, Param, Post, Req } from '@nestjs/common';
import { maskUrl, type CameraView } from '@vigil/contracts';
import { Access, Auditor, type AuthedRequest } from '@vigil/platform';
import { StitchApiService } from './stitch-api.service';

/** Panoramas: made, calibrated again and removed here; read through /api/cameras like every camera. */
@Controller('api/stitch')
@Access('admin')
export class StitchController {
  constructor(
    private readonly stitch: StitchApiService,
    private readonly auditor: Auditor,
  ) {}

  @Post()
  async create(@Body() body: unknown, @Req() request: AuthedRequest): Promise<CameraView> {
    const panorama = await this.stitch.create(body);
    const sources = (body as { sources: string[] }).sources.map((source) => maskUrl(source));
    await this.auditor.record(request, 'stitch.create', { target: panorama.id, detail: { url: panorama.url, sources, ...(panorama.egress ? { egress: panorama.egress.url } : {}) } });
    return panorama;
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string, @Req() request: AuthedRequest): Promise<void> {
    await this.stitch.remove(id);
    await this.auditor.record(request, 'stitch.delete', { target: id });
  }

  @Post(':id/calibrate')
  @HttpCode(202)
  async calibrate(@Param('id') id: string, @Req() request: AuthedRequest): Promise<void> {
    await this.stitch.calibrate(id);
    await this.auditor.record(request, 'stitch.calibrate', { target: id });
  }
}
