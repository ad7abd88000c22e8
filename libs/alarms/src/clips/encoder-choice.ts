import { EncoderUnavailableError } from './errors';

export const ENCODER_PREFERENCES = ['auto', 'nvenc', 'x264'] as const;
export type EncoderPreference = (typeof ENCODER_PREFERENCES)[number];

/** The name a clip records (AlarmClip.encoder). */
export type ClipEncoderName = 'nvenc' | 'x264';

/** The outcome of a real test encode with one encoder; absent when it was not tried. */
export type ProbeOutcome = { ok: true } | { ok: false; error: string };

export type EncoderProbe = Partial<Record<ClipEncoderName, ProbeOutcome>>;

export interface EncoderChoice {
  encoder: ClipEncoderName;
  /** one line for the start-up log */
  reason: string;
}

/** Which encoders a preference needs probed, in the order they are preferred. */
export function encodersToProbe(preference: EncoderPreference): ClipEncoderName[] {
  return preference === 'auto' ? ['nvenc', 'x264'] : [preference];
}

/**
 * Picks the clip encoder from the preference and what the test encodes showed. NVENC is preferred because it
 * leaves the CPU to detection; it is used only where a real encode worked, since ffmpeg lists h264_nvenc wherever
 * it was built with it, and GPUs without an encoder (A100, H100, H200) or a missing driver fail only when encoding.
 * Throws EncoderUnavailableError when the encoder asked for, or every encoder, failed.
 */
export function chooseEncoder(preference: EncoderPreference, probe: EncoderProbe): EncoderChoice {
  const failure = (name: ClipEncoderName): string => {
    const outcome = probe[name];
    return outcome === undefined ? 'not tried' : outcome.ok ? 'ok' : outcome.error;
  };
  if (preference !== 'auto') {
    if (probe[preference]?.ok) return { encoder: preference, reason: `${preference} (configured)` };
    throw new EncoderUnavailableError(`clip encoder ${preference} is configured but a test encode failed: ${failure(preference)}`);
  }
  if (probe.nvenc?.ok) return { encoder: 'nvenc', reason: 'nvenc (auto: a test encode on the GPU worked)' };
  if (probe.x264?.ok) return { encoder: 'x264', reason: `x264 (auto: nvenc unavailable: ${failure('nvenc')})` };
  throw new EncoderUnavailableError(`no clip encoder works: nvenc: ${failure('nvenc')}; x264: ${failure('x264')}`);
}

/** ffmpeg's output options for an encoder: H.264 in yuv420p, which every browser plays. */
export function encoderArgs(encoder: ClipEncoderName, threads?: number): string[] {
  const codec = encoder === 'nvenc'
    // p4 is NVENC's middle preset, constant quality like x264's crf. Untested: no machine this was written on has
    // an NVENC-capable GPU; where these options are wrong, the test encode at start fails and auto takes x264.
    ? ['-c:v', 'h264_nvenc', '-preset', 'p4', '-rc', 'vbr', '-cq', '26', '-b:v', '0']
    : ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '26', ...(threads ? ['-threads', String(threads)] : [])];
  return [...codec, '-pix_fmt', 'yuv420p', '-profile:v', 'high'];
}
