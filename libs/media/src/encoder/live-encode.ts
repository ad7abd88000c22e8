import type { VideoCodec } from '@vigil/contracts';
import { type EncoderName, ffmpegEncoder } from './encoder-choice';

export interface LiveEncodeSettings {
  /** constant output frame rate */
  fps: number;
  bitrateKbps: number;
  keyframeSeconds: number;
}

/** One live encoder: the codec, and which of its encoders (NVENC or the CPU's). */
export interface LiveEncoder {
  codec: VideoCodec;
  name: EncoderName;
}

/** What the test encodes at start use, so an option the encoder refuses fails there, not on the first stream. */
export const PROBE_SETTINGS: LiveEncodeSettings = { fps: 25, bitrateKbps: 2000, keyframeSeconds: 2 };

/**
 * ffmpeg's output options for live H.264 or H.265 for players (egress pushes, `npm run send`): constant bitrate with a
 * small buffer, no B-frames, a keyframe every `keyframeSeconds` (scene cuts do not move it, so segmenting servers get
 * regular GOPs), yuv420p. Throws for an encoder of the other codec.
 */
export function liveEncoderArgs(encoder: LiveEncoder, settings: LiveEncodeSettings): string[] {
  const gop = Math.max(1, Math.round(settings.fps * settings.keyframeSeconds));
  const rate = `${settings.bitrateKbps}k`;
  const bitrate = ['-b:v', rate, '-maxrate', rate, '-bufsize', `${settings.bitrateKbps * 2}k`];
  const keyframes = ['-g', String(gop), '-keyint_min', String(gop)];
  const codec = ffmpegEncoder(encoder.codec, encoder.name);
  let options: string[];
  if (encoder.name === 'nvenc') {
    // p3 + ll: NVENC's low-latency tuning (SDK 10+ presets), the same for h264_nvenc and hevc_nvenc. Untested on a GPU
    // with NVENC; where these options are wrong, the test encode at start fails and auto falls back to the CPU.
    // dump_extra repeats the parameter sets at every keyframe, which NVENC leaves out when the muxer wants global
    // headers, so a player joining mid-stream can start
    options = ['-preset', 'p3', '-tune', 'll', '-rc', 'cbr', '-zerolatency', '1', '-bf', '0', ...keyframes, '-bsf:v', 'dump_extra'];
  } else if (encoder.name === 'x264') {
    // zerolatency: no lookahead and no B-frames, so a frame leaves the encoder as soon as it is in
    options = ['-preset', 'veryfast', '-tune', 'zerolatency', ...keyframes, '-sc_threshold', '0'];
  } else {
    // x265 takes its GOP from its own parameters: no scene cuts, no B-frames, and VPS/SPS/PPS repeated at every
    // keyframe so a joining player can start; log-level=error keeps its banner off stderr, where failures are read
    const params = `keyint=${gop}:min-keyint=${gop}:scenecut=0:bframes=0:repeat-headers=1:log-level=error`;
    options = ['-preset', 'veryfast', '-tune', 'zerolatency', ...keyframes, '-x265-params', params];
  }
  return ['-c:v', codec, ...options, ...bitrate, '-pix_fmt', 'yuv420p'];
}
