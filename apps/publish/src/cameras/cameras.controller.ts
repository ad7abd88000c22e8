import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import type { CameraView } from '@vigil/contracts';
import { CamerasService } from './cameras.service';

@Controller('api/cameras')
export class CamerasController {
  constructor(private readonly cameras: CamerasService) {}

  @Get()
  list(): Promise<CameraView[]> {
    return this.cameras.list();
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<CameraView> {
    return this.cameras.get(id);
  }

  @Post()
  create(@Body() body: unknown): Promise<CameraView> {
    return this.cameras.create(body);
  }

  @Put(':id')
  replace(@Param('id') id: string, @Body() body: unknown): Promise<CameraView> {
    return this.cameras.replace(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Param('id') id: string): Promise<void> {
    return this.cameras.remove(id);
  }
}
