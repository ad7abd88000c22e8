import { codecTargetProblem, egressProtocol } from '@vigil/contracts';
import { notAnOption } from '@vigil/media';
import { rtspTarget } from '@vigil/media/push';
import { FfmpegPush, type FfmpegPushEvents, type PushProcess } from './ffmpeg-push';
import { pushArgs, type PushSpec } from './push-args';
import { RelayedPush } from './relayed-push';

/** Starts one push of a spec pushLauncher accepted. */
export type PushLauncher = (ffmpeg: string, events: FfmpegPushEvents) => PushProcess;

/**
 * How a push is started: RTMP straight from ffmpeg (its secrets in a preset on fd 3), RTSP through the relay (its
 * credentials in no argument at all). Throws a RangeError, before anything runs, for a URL neither can push to
 * safely, or in a codec it cannot carry (H.265 over RTMP: a record written straight into Redis would pass no schema);
 * that is no failure a restart could mend.
 */
export function pushLauncher(spec: PushSpec): PushLauncher {
  const problem = codecTargetProblem(spec.encoder.codec, spec.url);
  if (problem) throw new RangeError(problem);
  if (egressProtocol(spec.url) === 'rtsp') {
    const target = rtspTarget(notAnOption(spec.url, 'the egress url'));
    return (ffmpeg, events) => new RelayedPush(ffmpeg, spec, target, events);
  }
  const command = pushArgs(spec);
  return (ffmpeg, events) => new FfmpegPush(ffmpeg, command, events);
}
