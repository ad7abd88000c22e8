import { maskerFor, type Source } from '@vigil/contracts';
import type { VideoCodec } from './pipeline/decoder';
import { notAnOption, run } from './exec';
import { singleInputList } from './ffconcat-input';

const CODECS: Record<string, VideoCodec> = { h264: 'h264', hevc: 'h265', h265: 'h265' };

// a short analysis window: the codec name is in the first packets; the default waits ~2 s on RTSP
const ANALYZE_US = '500000';

/**
 * Finds the video codec of a file or RTSP source with ffprobe (used when a camera says `codec: auto`), and whether it
 * has audio and in which codec (egress carries it).
 *
 * The source never reaches ffprobe's argv, which every user of the machine can read (`ps`): it goes in an ffconcat
 * list on stdin. The list also fixes which protocols the probe may use, so a source cannot lead ffprobe to files
 * or other protocols: an RTSP probe opens no file, a file probe no connection.
 */
export class CodecProbe {
  constructor(private readonly timeoutMs = 10_000) {}

  async probe(source: Source, transport: 'tcp' | 'udp'): Promise<VideoCodec> {
    const name = await this.firstStream(source, transport, 'v:0');
    const codec = name === undefined ? undefined : CODECS[name];
    if (!codec) throw new Error(name ? `unsupported video codec ${name} (h264 and h265 are supported)` : 'no video stream found');
    return codec;
  }

  /** The codec name of the source's first audio stream (ffprobe's: 'aac', 'pcm_mulaw', 'opus', ...), or undefined when it has none. */
  audioCodec(source: Source, transport: 'tcp' | 'udp'): Promise<string | undefined> {
    return this.firstStream(source, transport, 'a:0');
  }

  private async firstStream(source: Source, transport: 'tcp' | 'udp', selector: 'v:0' | 'a:0'): Promise<string | undefined> {
    // the list keeps it out of option parsing already; the source policy refuses such paths, and so does this
    notAnOption(source.location, 'the source location');
    const rtsp = source.kind === 'rtsp';
    const list = rtsp
      ? singleInputList(source.location, { rtsp_transport: transport, analyzeduration: ANALYZE_US })
      // file: so a path with a colon is not read as a protocol name
      : singleInputList(`file:${source.location}`);
    const args = [
      '-v', 'error', '-f', 'concat', '-safe', '0',
      // pipe: the list itself; rtsp opens tcp (and udp + rtp with transport udp, tls for rtsps)
      '-protocol_whitelist', rtsp ? 'pipe,tcp,udp,rtp,tls' : 'pipe,file',
      '-analyzeduration', ANALYZE_US,
      '-select_streams', selector, '-show_entries', 'stream=codec_name', '-of', 'json', '-i', 'pipe:0',
    ];
    const result = await run('ffprobe', args, this.timeoutMs, list);
    if (result.code !== 0) {
      // ffprobe names the input it failed on, here the list: "pipe:0: Connection refused"
      const last = (result.stderr.trim().split('\n').pop() ?? '').replace(/^pipe:0: /, '');
      const detail = maskerFor(source.location)(last) || `ffprobe exited with ${result.code}`;
      throw new Error(`cannot read the stream: ${detail}`);
    }
    return (JSON.parse(result.stdout) as { streams?: { codec_name?: string }[] }).streams?.[0]?.codec_name;
  }
}
