import type { VideoCodec } from '@vigil/contracts';
import { liveEncoderArgs } from '@vigil/media/encoder';
import type { SendPlan } from './send-plan';
import { sourceInputArgs } from './send-source';

/**
 * The ffmpeg command line of one run: the source (see sourceInputArgs), its first video stream alone, scaled to the
 * output size in yuv420p at a constant rate, encoded for live players (liveEncoderArgs), progress as key=value blocks
 * on stdout every second, then `output` (pushOutput's, or serveOutput's).
 */
export function sendArgs(plan: SendPlan, output: readonly string[]): string[] {
  const { width, height } = plan.size;
  return [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    ...sourceInputArgs(plan.source, plan.fps, plan.inputSize),
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', `scale=${width}:${height},setsar=1,format=yuv420p`, '-fps_mode', 'cfr', '-r', String(plan.fps),
    ...liveEncoderArgs(plan.encoder, plan),
    '-progress', 'pipe:1', '-stats_period', '1',
    ...output,
  ];
}

/** The encoded stream as Annex B on fd 3, each packet written as it comes, for vigil's RTSP server (--serve). */
export function serveOutput(codec: VideoCodec): string[] {
  return ['-f', codec === 'h264' ? 'h264' : 'hevc', '-flush_packets', '1', 'pipe:3'];
}
