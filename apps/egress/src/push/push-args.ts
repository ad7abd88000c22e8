import { egressProtocol } from '@vigil/contracts';
import { notAnOption, type H264EncoderName } from '@vigil/media';
import { AUDIO_OUTPUT_ARGS, audioInputArgs, type AudioInput } from './audio-input';
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
  /** where the push's timeline starts (epoch ms, see pushEpoch): the frames' and the audio's timestamps count from it */
  epochMs: number;
  /** the camera's audio, carried next to the video; none: video only */
  audio?: AudioInput;
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
  /** the audio input's concat list, read on AUDIO_LIST_FD: it names the camera's source, credentials and all */
  audioList?: string;
}

/** Where ffmpeg finds the preset: the child's fd 3 (see privateFd). */
export const PRESET_FD = 3;

/**
 * The ffmpeg command line of one push: frames on stdin, each stamped with its capture time (Matroska, see below),
 * made constant-rate (the fps filter repeats or drops frames, which players and RTMP servers expect), encoded, and
 * sent as FLV over RTMP or as RTSP (ANNOUNCE/RECORD over TCP), with the camera's audio beside it when there is one
 * (audio-input.ts). Progress goes to stdout as key=value blocks, which is how we learn that frames reach the server.
 *
 * Why Matroska on stdin: frames reach egress late (ingest's decode and JPEG, the bus, inference drawing boxes) and
 * unevenly, so a stamp taken on arrival (image2pipe with `-use_wallclock_as_timestamps`, as pushes were first made)
 * puts that delay between the picture and the camera's sound, and its jitter into the picture's pacing. The other
 * way we weighed, holding each frame until capture time + a fixed delay and letting ffmpeg stamp it on arrival,
 * needs a delay chosen in advance and still carries the event loop's timer jitter (tens of ms on a busy machine)
 * into every stamp. A container with timestamps carries the capture time exactly, needs no delay chosen, and
 * costs one small writer (matroska-mjpeg.ts); ffmpeg holds the audio back until the video of the same moment comes.
 * `-copyts` keeps the timestamps as given, so video and audio stay on the one timeline (ffmpeg would otherwise
 * start each input at zero on its own); with it, `-fps_mode cfr` would fill the timeline's first seconds with
 * copies of the first frame, so the rate is made by the fps filter, which starts at the first frame.
 *
 * ffmpeg's argv is readable by every user of the machine, so an RTMP push names only scheme://host:port there; the
 * application and the stream name (the stream key) come from a preset on fd 3, as ffmpeg's RTMP options rtmp_app
 * and rtmp_playpath, split from the URL as ffmpeg itself would (rtmp-target.ts). An RTSP push is given the loopback
 * URL of its relay (relayed-push.ts), which holds the credentials. The camera's source URL, for its audio, is in a
 * list on fd 4.
 */
export function pushArgs(spec: PushSpec): PushCommand {
  const input = [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-copyts',
    // the first frame gives the size: probing the default 5 MB would hold the push back for seconds (a minute for
    // small frames at a low rate) before ffmpeg even connects
    '-f', 'matroska', '-probesize', '32', '-analyzeduration', '0', '-i', 'pipe:0',
  ];
  const audio = spec.audio === undefined ? undefined : audioInputArgs(spec.audio, spec.epochMs);
  // yuv420p needs even sizes; the JPEGs are usually yuvj420p (full range), converted here
  const video = ['-vf', `fps=${spec.fps},scale=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p`, '-fps_mode', 'passthrough'];
  const streams = audio ? [...audio.args, '-map', '0:v:0', '-map', '1:a:0', ...video, ...AUDIO_OUTPUT_ARGS] : [...video, '-an'];
  const head = [...input, ...streams, ...liveEncoderArgs(spec.encoder, spec), '-progress', 'pipe:1', '-stats_period', '1'];
  const audioList = audio?.list === undefined ? {} : { audioList: audio.list };
  // an output URL has no -i to shield it: one that looked like an option would be read as one
  const url = notAnOption(spec.url, 'the egress url');
  if (egressProtocol(url) === 'rtsp') {
    // ffmpeg's RTSP takes credentials only from this URL: they go through the relay (rtsp-relay.ts), never here
    if (/^rtsp:\/\/[^/?#]*@/i.test(url)) throw new RangeError('user:password in an rtsp url given to ffmpeg: it must push through the RTSP relay');
    return { args: [...head, '-f', 'rtsp', '-rtsp_transport', 'tcp', url], ...audioList };
  }
  const target = rtmpTarget(url);
  // an empty value cannot be written (ffmpeg refuses the line); left out, ffmpeg derives the same empty one
  const preset = presetLines({ rtmp_app: target.app, rtmp_playpath: target.playpath });
  return {
    // rw_timeout (µs): a server that stops reading fails the push instead of hanging it
    args: [...head, '-rw_timeout', '10000000', '-f', 'flv', '-flvflags', 'no_duration_filesize', '-fpre', `/dev/fd/${PRESET_FD}`, target.origin],
    preset,
    ...audioList,
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
