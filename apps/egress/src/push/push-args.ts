import { liveEncoderArgs, type LiveEncodeSettings, type LiveEncoder, notAnOption } from '@vigil/media';
import { type PushCommand, pushOutput } from '@vigil/media/push';

export interface PushSpec extends LiveEncodeSettings {
  url: string;
  encoder: LiveEncoder;
}

/**
 * The ffmpeg command line of one push: JPEG frames on stdin, stamped with the wall clock as they are read (so the
 * video plays at the speed frames came, whatever their rate), made constant-rate (`-fps_mode cfr`: repeats or drops
 * frames, which players and RTMP servers expect), encoded, and sent as FLV over RTMP or as RTSP (ANNOUNCE/RECORD
 * over TCP). Progress goes to stdout as key=value blocks, which is how we learn that frames reach the server.
 *
 * The output keeps the target's secrets out of ffmpeg's argv (pushOutput); an RTSP push is given the loopback URL of
 * its relay (relayed-push.ts), which holds the credentials.
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
  const output = pushOutput(notAnOption(spec.url, 'the egress url'));
  return { ...output, args: [...head, ...output.args] };
}
