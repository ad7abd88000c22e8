import { CPU_ENCODERS, type VideoCodec } from '@vigil/contracts';
import { EncoderUnavailableError } from './errors';

/**
 * The encoders of one codec: NVIDIA's NVENC (h264_nvenc, hevc_nvenc), or the codec's CPU encoder (libx264,
 * libx265). The name says which of the two; the codec says which of each pair.
 */
export type EncoderOf<C extends VideoCodec> = 'nvenc' | (typeof CPU_ENCODERS)[C];
/** Every encoder vigil uses, of either codec. */
export type EncoderName = EncoderOf<VideoCodec>;
/** `auto` (NVENC where a test encode works, else the CPU encoder) or one encoder of the codec. */
export type PreferenceOf<C extends VideoCodec> = 'auto' | EncoderOf<C>;

/** The H.264 encoders, which alarm clips use. */
export type H264EncoderName = EncoderOf<'h264'>;
export const ENCODER_PREFERENCES = ['auto', 'nvenc', 'x264'] as const satisfies readonly PreferenceOf<'h264'>[];
export type EncoderPreference = (typeof ENCODER_PREFERENCES)[number];

/** The outcome of a real test encode with one encoder; absent when it was not tried. */
export type ProbeOutcome = { ok: true } | { ok: false; error: string };

export type EncoderProbe<N extends EncoderName = H264EncoderName> = Partial<Record<N, ProbeOutcome>>;

export interface EncoderChoice<N extends EncoderName = H264EncoderName> {
  encoder: N;
  /** one line for the start-up log */
  reason: string;
}

/** ffmpeg's name of an encoder of a codec, for its `-c:v`. */
export function ffmpegEncoder(codec: VideoCodec, encoder: EncoderName): string {
  if (encoder === 'nvenc') return codec === 'h264' ? 'h264_nvenc' : 'hevc_nvenc';
  if (encoder !== CPU_ENCODERS[codec]) throw new EncoderUnavailableError(`${encoder} does not encode ${codecLabel(codec)}`);
  return encoder === 'x264' ? 'libx264' : 'libx265';
}

/** 'H.264', 'H.265' */
export function codecLabel(codec: VideoCodec): string {
  return codec === 'h264' ? 'H.264' : 'H.265';
}

/** Which encoders a preference needs probed for a codec, in the order they are preferred. */
export function encodersToProbe<C extends VideoCodec = 'h264'>(preference: PreferenceOf<C>, codec: C = 'h264' as C): EncoderOf<C>[] {
  const cpu = CPU_ENCODERS[codec] as EncoderOf<C>;
  if (preference === 'auto') return ['nvenc' as EncoderOf<C>, cpu];
  // the type allows only the codec's encoders; a config read at run time might still name the other codec's
  if (preference !== 'nvenc' && preference !== cpu) throw new EncoderUnavailableError(`${preference} does not encode ${codecLabel(codec)} (use auto, nvenc or ${cpu})`);
  return [preference];
}

/**
 * Picks the encoder from the preference and what the test encodes showed. NVENC is preferred because it leaves the
 * CPU to detection; it is used only where a real encode worked, since ffmpeg lists h264_nvenc wherever it was built
 * with it, and GPUs without an encoder (A100, H100, H200) or a missing driver fail only when encoding. A GPU that
 * encodes H.264 may still lack HEVC, so each codec has its own test encodes.
 * `role` names the user of the encoder in messages ('clip encoder', 'egress encoder').
 * Throws EncoderUnavailableError when the encoder asked for, or every encoder, failed.
 */
export function chooseEncoder<C extends VideoCodec = 'h264'>(preference: PreferenceOf<C>, probe: EncoderProbe<EncoderOf<C>>, role = 'encoder', codec: C = 'h264' as C): EncoderChoice<EncoderOf<C>> {
  const failure = (name: EncoderOf<C>): string => {
    const outcome = probe[name];
    return outcome === undefined ? 'not tried' : outcome.ok ? 'ok' : outcome.error;
  };
  const [first, second] = encodersToProbe(preference, codec);
  if (preference !== 'auto') {
    if (probe[first!]?.ok) return { encoder: first!, reason: `${first} (configured)` };
    throw new EncoderUnavailableError(`${role} ${first} is configured but a test encode failed: ${failure(first!)}`);
  }
  if (probe[first!]?.ok) return { encoder: first!, reason: `${first} (auto: a test encode on the GPU worked)` };
  if (probe[second!]?.ok) return { encoder: second!, reason: `${second} (auto: nvenc unavailable: ${failure(first!)})` };
  throw new EncoderUnavailableError(`no ${role} works: ${first}: ${failure(first!)}; ${second}: ${failure(second!)}`);
}

/**
 * Test-encodes with each encoder the preference allows, in order, until one works, then chooses. `probe` runs one
 * real encode with the options its user will use, so options an encoder refuses fail here, at start.
 */
export async function selectEncoder<C extends VideoCodec = 'h264'>(
  preference: PreferenceOf<C>,
  probe: (encoder: EncoderOf<C>) => Promise<ProbeOutcome>,
  role?: string,
  codec: C = 'h264' as C,
): Promise<EncoderChoice<EncoderOf<C>>> {
  const outcomes: EncoderProbe<EncoderOf<C>> = {};
  for (const name of encodersToProbe(preference, codec)) {
    outcomes[name] = await probe(name);
    if (outcomes[name]?.ok) break;
  }
  return chooseEncoder(preference, outcomes, role, codec);
}
