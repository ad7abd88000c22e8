import { liveEncoderArgs, type LiveEncodeSettings, type LiveEncoder, notAnOption } from '@vigil/media';
import { type PushCommand, pushOutput } from '@vigil/media/push';
import { AUDIO_OUTPUT_ARGS, audioInputArgs, type AudioInput } from './audio-input';

export interface PushSpec extends LiveEncodeSettings {
  url: string;
  encoder: LiveEncoder;
  /** where the push's timeline starts (epoch ms, see pushEpoch): the frames' and the audio's timestamps count from it */
  epochMs: number;
  /** the camera's audio, carried next to the video; none: video only */
  audio?: AudioInput;
}

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
 * The output keeps the target's secrets out of ffmpeg's argv (pushOutput); an RTSP push is given the loopback URL of
 * its relay (relayed-push.ts), which holds the credentials. The camera's source URL, for its audio, is in a list on
 * fd 4.
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
  const output = pushOutput(notAnOption(spec.url, 'the egress url'));
  return { ...output, args: [...head, ...output.args], ...(audio?.list === undefined ? {} : { audioList: audio.list }) };
}
