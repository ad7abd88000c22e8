import { egressProtocol } from '@vigil/contracts';
import { notAnOption, type H264EncoderName } from '@vigil/media';
import { rtmpTarget } from './rtmp-target';

export interface LiveEncodeSettings {
  /** constant output frame rate */
  fps: number;
  bitrateKbps: number;
  keyframeSeconds: number;
}

export interface PushSpec extends LiveEncodeSettings {
  url: string;
  encoder: H264EncoderName;
}

/** What the test encode at start uses, so an option the encoder refuses fails there, not on the first camera. */
export const PROBE_SETTINGS: LiveEncodeSettings = { fps: 25, bitrateKbps: 2000, keyframeSeconds: 2 };

/**
 * Live H.264 for players: constant bitrate with a small buffer, no B-frames, a keyframe every `keyframeSeconds`
 * (scene cuts do not move it, so segmenting servers get regular GOPs), yuv420p.
 */
export function liveEncoderArgs(encoder: H264EncoderName, settings: LiveEncodeSettings): string[] {
  const gop = String(Math.max(1, Math.round(settings.fps * settings.keyframeSeconds)));
  const rate = `${settings.bitrateKbps}k`;
  const bitrate = ['-b:v', rate, '-maxrate', rate, '-bufsize', `${settings.bitrateKbps * 2}k`];
  const codec = encoder === 'nvenc'
    // p3 + ll: NVENC's low-latency tuning (SDK 10+ presets). Untested on a GPU with NVENC; where these options are
    // wrong, the test encode at start fails and auto falls back to x264.
    ? ['-c:v', 'h264_nvenc', '-preset', 'p3', '-tune', 'll', '-rc', 'cbr', '-zerolatency', '1', '-bf', '0']
    // zerolatency: no lookahead and no B-frames, so a frame leaves the encoder as soon as it is in
    : ['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency'];
  return [...codec, ...bitrate, '-g', gop, '-keyint_min', gop, ...(encoder === 'x264' ? ['-sc_threshold', '0'] : []), '-pix_fmt', 'yuv420p'];
}

export interface PushCommand {
  args: string[];
  /** `key=value` lines ffmpeg reads from its fd 3 (`-fpre /dev/fd/3`): options that must stay out of argv */
  preset?: string;
}

/** Where ffmpeg finds the preset: the child's fd 3 (see privateFd). */
export const PRESET_FD = 3;

/**
 * The ffmpeg command line of one push: JPEG frames on stdin, stamped with the wall clock as they are read (so the
 * video plays at the speed frames came, whatever their rate), made constant-rate (`-fps_mode cfr`: repeats or drops
 * frames, which players and RTMP servers expect), encoded, and sent as FLV over RTMP or as RTSP (ANNOUNCE/RECORD
 * over TCP). Progress goes to stdout as key=value blocks, which is how we learn that frames reach the server.
 *
 * ffmpeg's argv is readable by every user of the machine, so an RTMP push names only scheme://host:port there; the
 * application and the stream name (the stream key) come from a preset on fd 3, as ffmpeg's RTMP options rtmp_app
 * and rtmp_playpath, split from the URL as ffmpeg itself would (rtmp-target.ts). An RTSP push is given the loopback
 * URL of its relay (relayed-push.ts), which holds the credentials.
 */
export function pushArgs(spec: PushSpec): PushCommand {
  const input = [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    // a 1 ms input time base keeps the wall-clock stamps exact (image2pipe would otherwise round them to 1/25 s)
    '-f', 'image2pipe', '-c:v', 'mjpeg', '-framerate', '1000', '-use_wallclock_as_timestamps', '1',
    // the codec is known and the first JPEG gives the size: probing the default 5 MB would hold the push back for
    // seconds (a minute for small frames at a low rate) before ffmpeg even connects
    '-probesize', '32', '-analyzeduration', '0', '-i', 'pipe:0',
  ];
  // yuv420p needs even sizes; the JPEGs are usually yuvj420p (full range), converted here
  const video = ['-vf', 'scale=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p', '-fps_mode', 'cfr', '-r', String(spec.fps), '-an'];
  const head = [...input, ...video, ...liveEncoderArgs(spec.encoder, spec), '-progress', 'pipe:1', '-stats_period', '1'];
  // an output URL has no -i to shield it: one that looked like an option would be read as one
  const url = notAnOption(spec.url, 'the egress url');
  if (egressProtocol(url) === 'rtsp') {
    // ffmpeg's RTSP takes credentials only from this URL: they go through the relay (rtsp-relay.ts), never here
    if (/^rtsp:\/\/[^/?#]*@/i.test(url)) throw new RangeError('user:password in an rtsp url given to ffmpeg: it must push through the RTSP relay');
    return { args: [...head, '-f', 'rtsp', '-rtsp_transport', 'tcp', url] };
  }
  const target = rtmpTarget(url);
  // an empty value cannot be written (ffmpeg refuses the line); left out, ffmpeg derives the same empty one
  const preset = presetLines({ rtmp_app: target.app, rtmp_playpath: target.playpath });
  return {
    // rw_timeout (µs): a server that stops reading fails the push instead of hanging it
    args: [...head, '-rw_timeout', '10000000', '-f', 'flv', '-flvflags', 'no_duration_filesize', '-fpre', `/dev/fd/${PRESET_FD}`, target.origin],
    preset,
  };
}

// ffmpeg reads a preset with fgets into 1000 bytes: a longer line would be cut, and its rest read as another option
const PRESET_LINE_BYTES = 998;

/**
 * An ffmpeg preset: one `key=value` line each, the value running to the end of the line. A line break would start a
 * line of the caller's choosing, so control characters are refused; so is a line ffmpeg would cut.
 */
export function presetLines(options: Readonly<Record<string, string>>): string {
  let text = '';
  for (const [key, value] of Object.entries(options)) {
    if (value === '') continue;
    // eslint-disable-next-line no-control-regex
    if (/[\0-\x1f\x7f]/.test(value)) throw new RangeError('the egress url holds a control character');
    const line = `${key}=${value}`;
    if (Buffer.byteLength(line) > PRESET_LINE_BYTES) throw new RangeError(`the egress url's ${key.replace('rtmp_', '')} is too long for ffmpeg (at most ${PRESET_LINE_BYTES - key.length - 1} bytes)`);
    text += `${line}\n`;
  }
  return text;
}
