import { maskerFor, type Source } from '@vigil/contracts';
import type { VideoCodec } from './pipeline/decoder';
import { notAnOption, run } from './exec';

const CODECS: Record<string, VideoCodec> = { h264: 'h264', hevc: 'h265', h265: 'h265' };

/** Finds the video codec of a file or RTSP source with ffprobe (used when a camera says `codec: auto`). */
export class CodecProbe {
  constructor(private readonly timeoutMs = 10_000) {}

  async probe(source: Source, transport: 'tcp' | 'udp'): Promise<VideoCodec> {
    const args = ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name', '-of', 'json'];
    // a short analysis window: the codec name is in the first packets; the default waits ~2 s on RTSP
    if (source.kind === 'rtsp') args.push('-rtsp_transport', transport, '-analyzeduration', '500000');
    // -i takes the next argument as the input whatever it looks like; the check keeps it that way if -i goes
    args.push('-i', notAnOption(source.location, 'the source location'));
    const result = await run('ffprobe', args, this.timeoutMs);
    if (result.code !== 0) {
      const detail = maskerFor(source.location)(result.stderr.trim().split('\n').pop() ?? '') || `ffprobe exited with ${result.code}`;
      throw new Error(`cannot read the stream: ${detail}`);
    }
    const name = (JSON.parse(result.stdout) as { streams?: { codec_name?: string }[] }).streams?.[0]?.codec_name;
    const codec = name === undefined ? undefined : CODECS[name];
    if (!codec) throw new Error(name ? `unsupported video codec ${name} (h264 and h265 are supported)` : 'no video stream found');
    return codec;
  }
}
