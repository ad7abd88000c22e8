import type { H264EncoderName } from '@vigil/media';

/** The name a clip records (AlarmClip.encoder). */
export type ClipEncoderName = H264EncoderName;

/** ffmpeg's output options for a clip: constant-quality H.264 in yuv420p, which every browser plays. */
export function encoderArgs(encoder: ClipEncoderName, threads?: number): string[] {
  const codec = encoder === 'nvenc'
    // p4 is NVENC's middle preset, constant quality like x264's crf. Untested: no machine this was written on has
    // an NVENC-capable GPU; where these options are wrong, the test encode at start fails and auto takes x264.
    ? ['-c:v', 'h264_nvenc', '-preset', 'p4', '-rc', 'vbr', '-cq', '26', '-b:v', '0']
    : ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '26', ...(threads ? ['-threads', String(threads)] : [])];
  return [...codec, '-pix_fmt', 'yuv420p', '-profile:v', 'high'];
}
