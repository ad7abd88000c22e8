import { egressProtocol } from '@vigil/contracts';
import { PRESET_FD, presetLines } from './ffmpeg-preset';
import { rtmpTarget } from './rtmp-target';

export interface PushCommand {
  args: string[];
  /** `key=value` lines ffmpeg reads from its fd 3 (`-fpre /dev/fd/3`): options that must stay out of argv */
  preset?: string;
  /** egress: the ffconcat list of the camera's audio input, read by ffmpeg on fd 4 (it may hold credentials) */
  audioList?: string;
}

/**
 * ffmpeg's output options for a push to `url` (an rtmp[s]:// or rtsp:// URL the egress schema accepted): FLV over
 * RTMP, or RTSP (ANNOUNCE/RECORD over TCP). They come last on its command line, the URL at the very end.
 *
 * ffmpeg's argv is readable by every user of the machine, so an RTMP push names only scheme://host:port there; the
 * application and the stream name (the stream key) come from a preset on fd 3, as ffmpeg's RTMP options rtmp_app
 * and rtmp_playpath, split from the URL as ffmpeg itself would (rtmp-target.ts). An RTSP URL must be the loopback one
 * of an RtspRelay, which holds the credentials: one with user:password is refused here.
 */
export function pushOutput(url: string): PushCommand {
  // an output URL has no -i to shield it: one that looked like an option would be read as one
  if (url.trimStart().startsWith('-')) throw new RangeError('the push url must not start with "-": ffmpeg would read it as an option');
  if (egressProtocol(url) === 'rtsp') {
    // ffmpeg's RTSP takes credentials only from this URL: they go through the relay (rtsp-relay.ts), never here
    if (/^rtsp:\/\/[^/?#]*@/i.test(url)) throw new RangeError('user:password in an rtsp url given to ffmpeg: it must push through the RTSP relay');
    return { args: ['-f', 'rtsp', '-rtsp_transport', 'tcp', url] };
  }
  const target = rtmpTarget(url);
  // an empty value cannot be written (ffmpeg refuses the line); left out, ffmpeg derives the same empty one
  const preset = presetLines({ rtmp_app: target.app, rtmp_playpath: target.playpath });
  return {
    // rw_timeout (µs): a server that stops reading fails the push instead of hanging it
    args: ['-rw_timeout', '10000000', '-f', 'flv', '-flvflags', 'no_duration_filesize', '-fpre', `/dev/fd/${PRESET_FD}`, target.origin],
    preset,
  };
}
