import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import type { CameraScope, Identity } from '@vigil/auth';
import type { CameraView } from '@vigil/contracts';
import { Access, Auditor, CurrentIdentity, CurrentScope, type AuthedRequest } from '@vigil/platform';
import { CamerasService } from './cameras.service';

@Controller('api/cameras')
export class CamerasController {
  constructor(
    private readonly cameras: CamerasService,
    private readonly auditor: Auditor,
  ) {}

  @Get()
  @Access('viewer')
  list(@CurrentIdentity() identity: Identity, @CurrentScope() scope: CameraScope): Promise<CameraView[]> {
    return this.cameras.list(scope, detailFor(identity));
  }

  @Get(':id')
  @Access('viewer')
  get(@Param('id') id: string, @CurrentIdentity() identity: Identity, @CurrentScope() scope: CameraScope): Promise<CameraView> {
    return this.cameras.get(id, scope, detailFor(identity));
  }

  @Post()
  @Access('admin')
  async create(@Body() body: unknown, @Req() request: AuthedRequest): Promise<CameraView> {
    const camera = await this.cameras.create(body);
    await this.auditor.record(request, 'camera.create', { target: camera.id, detail: { url: camera.url, ...(camera.egress ? { egress: camera.egress.url } : {}) } });
    return camera;
  }

  @Put(':id')
  @Access('admin')
  async replace(@Param('id') id: string, @Body() body: unknown, @Req() request: AuthedRequest): Promise<CameraView> {
    const camera = await this.cameras.replace(id, body);
    await this.auditor.record(request, 'camera.update', { target: id, detail: { url: camera.url, ...(camera.egress ? { egress: camera.egress.url } : {}) } });
    return camera;
  }

  @Delete(':id')
  @Access('admin')
  @HttpCode(204)
  async remove(@Param('id') id: string, @Req() request: AuthedRequest): Promise<void> {
    await this.cameras.remove(id);
    await this.auditor.record(request, 'camera.delete', { target: id });
  }
}

/** Admins see why a camera fails; viewers a generic phrase (the full reason maps hosts and ports behind vigil). */
function detailFor(identity: Identity): 'full' | 'generic' {
  return identity.role === 'admin' ? 'full' : 'generic';
}
