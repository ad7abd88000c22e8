import { egressProtocol } from '@vigil/contracts';
import { liveEncoderArgs, type LiveEncodeSettings, type LiveEncoder, notAnOption } from '@vigil/media';
import { PRESET_FD, presetLines, rtmpTarget } from '@vigil/media/push';

export interface PushSpec extends LiveEncodeSettings {
  url: string;
  encoder: LiveEncoder;
}

export interface PushCommand {
  args: string[];
  /** `key=value` lines ffmpeg reads from its fd 3 (`-fpre /dev/fd/3`): options that must stay out of argv */
  preset?: string;
}

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
