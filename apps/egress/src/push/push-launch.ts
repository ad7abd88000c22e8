import { egressProtocol } from '@vigil/contracts';
import { notAnOption } from '@vigil/media';
import { FfmpegPush, type FfmpegPushEvents, type PushProcess } from './ffmpeg-push';
import { pushArgs, type PushSpec } from './push-args';
import { RelayedPush } from './relayed-push';
import { rtspTarget } from './rtsp-target';

/** Starts one push of a spec pushLauncher accepted. */
export type PushLauncher = (ffmpeg: string, events: FfmpegPushEvents) => PushProcess;

/**
 * How a push is started: RTMP straight from ffmpeg (its secrets in a preset on fd 3), RTSP through the relay (its
 * credentials in no argument at all). Throws a RangeError, before anything runs, for a URL neither can push to
 * safely; that is no failure a restart could mend.
 */
export function pushLauncher(spec: PushSpec): PushLauncher {
  if (egressProtocol(spec.url) === 'rtsp') {
    const target = rtspTarget(notAnOption(spec.url, 'the egress url'));
    return (ffmpeg, events) => new RelayedPush(ffmpeg, spec, target, events);
  }
  const command = pushArgs(spec);
  return (ffmpeg, events) => new FfmpegPush(ffmpeg, command, events);
}
