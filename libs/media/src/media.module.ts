import { Module } from '@nestjs/common';
import { CodecProbe } from './codec-probe';
import { GstreamerProbe } from './gstreamer-probe';
import { PipelinePlanner } from './pipeline-planner';

@Module({
  providers: [{ provide: GstreamerProbe, useFactory: () => new GstreamerProbe() }, { provide: CodecProbe, useFactory: () => new CodecProbe() }, PipelinePlanner],
  exports: [PipelinePlanner, GstreamerProbe],
})
export class MediaModule {}
