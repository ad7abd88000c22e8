import { EncoderUnavailableError } from './errors';

export const ENCODER_PREFERENCES = ['auto', 'nvenc', 'x264'] as const;
export type EncoderPreference = (typeof ENCODER_PREFERENCES)[number];

/** The H.264 encoders vigil uses: NVIDIA's h264_nvenc, or libx264 on the CPU. */
export type H264EncoderName = 'nvenc' | 'x264';

/** The outcome of a real test encode with one encoder; absent when it was not tried. */
export type ProbeOutcome = { ok: true } | { ok: false; error: string };

export type EncoderProbe = Partial<Record<H264EncoderName, ProbeOutcome>>;

export interface EncoderChoice {
  encoder: H264EncoderName;
  /** one line for the start-up log */
  reason: string;
}

/** Which encoders a preference needs probed, in the order they are preferred. */
export function encodersToProbe(preference: EncoderPreference): H264EncoderName[] {
  return preference === 'auto' ? ['nvenc', 'x264'] : [preference];
}

/**
 * Picks the encoder from the preference and what the test encodes showed. NVENC is preferred because it leaves the
 * CPU to detection; it is used only where a real encode worked, since ffmpeg lists h264_nvenc wherever it was built
 * with it, and GPUs without an encoder (A100, H100, H200) or a missing driver fail only when encoding.
 * `role` names the user of the encoder in messages ('clip encoder', 'egress encoder').
 * Throws EncoderUnavailableError when the encoder asked for, or every encoder, failed.
 */
export function chooseEncoder(preference: EncoderPreference, probe: EncoderProbe, role = 'encoder'): EncoderChoice {
  const failure = (name: H264EncoderName): string => {
    const outcome = probe[name];
    return outcome === undefined ? 'not tried' : outcome.ok ? 'ok' : outcome.error;
  };
  if (preference !== 'auto') {
    if (probe[preference]?.ok) return { encoder: preference, reason: `${preference} (configured)` };
    throw new EncoderUnavailableError(`${role} ${preference} is configured but a test encode failed: ${failure(preference)}`);
  }
  if (probe.nvenc?.ok) return { encoder: 'nvenc', reason: 'nvenc (auto: a test encode on the GPU worked)' };
  if (probe.x264?.ok) return { encoder: 'x264', reason: `x264 (auto: nvenc unavailable: ${failure('nvenc')})` };
  throw new EncoderUnavailableError(`no ${role} works: nvenc: ${failure('nvenc')}; x264: ${failure('x264')}`);
}

/**
 * Test-encodes with each encoder the preference allows, in order, until one works, then chooses. `probe` runs one
 * real encode with the options its user will use, so options an encoder refuses fail here, at start.
 */
export async function selectEncoder(
  preference: EncoderPreference,
  probe: (encoder: H264EncoderName) => Promise<ProbeOutcome>,
  role?: string,
): Promise<EncoderChoice> {
  const outcomes: EncoderProbe = {};
  for (const name of encodersToProbe(preference)) {
    outcomes[name] = await probe(name);
    if (outcomes[name]?.ok) break;
  }
  return chooseEncoder(preference, outcomes, role);
}
