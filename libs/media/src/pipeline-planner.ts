import { Injectable } from '@nestjs/common';
import { classifySource, type CameraConfig, type Source } from '@vigil/contracts';
import { CodecProbe } from './codec-probe';
import { GstreamerProbe } from './gstreamer-probe';
import { buildPipeline, type Pipeline } from './pipeline/build-pipeline';
import { chooseDecoder, type DecoderChoice, type DecoderPreference, type VideoCodec } from './pipeline/decoder';

export interface PlannedPipeline extends Pipeline {
  /** why this decoder (logged and shown in the API) */
  decoderReason: string;
  /** true for sources that end and start over (files, image sequences) */
  loops: boolean;
}

/** Turns a camera's config into its capture pipeline: probes the codec when asked, picks the decoder. */
@Injectable()
export class PipelinePlanner {
  constructor(
    private readonly elements: GstreamerProbe,
    private readonly codecs: CodecProbe,
  ) {}

  /** `source`: the camera's source as the source policy admitted it (files by their real path); else its url's. */
  async plan(camera: CameraConfig, defaultPreference: DecoderPreference, watchdogMs: number, source: Source = classifySource(camera.url)): Promise<PlannedPipeline> {
    let decoder: DecoderChoice | undefined;
    if (source.kind === 'rtsp' || source.kind === 'file') {
      const codec: VideoCodec = camera.codec === 'auto' ? await this.codecs.probe(source, camera.transport) : camera.codec;
      const preference = camera.decoder === 'auto' ? defaultPreference : camera.decoder;
      decoder = chooseDecoder(codec, preference, await this.elements.availableElements());
    }
    const pipeline = buildPipeline({ camera, source, decoder, watchdogMs, label: camera.id });
    return {
      ...pipeline,
      decoderReason: decoder?.reason ?? `${pipeline.decoder}: fixed by the source type`,
      loops: source.kind === 'file' || source.kind === 'sequence',
    };
  }
}
