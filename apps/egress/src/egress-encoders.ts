import { Inject, Injectable } from '@nestjs/common';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { type CameraEgressConfig, codecTargetProblem, CPU_ENCODERS, type VideoCodec } from '@vigil/contracts';
import { codecLabel, type EncoderChoice, type EncoderName, liveEncoderArgs, type PreferenceOf, PROBE_SETTINGS, type ProbeOutcome, selectEncoder, testEncode } from '@vigil/media';

const PROBE_TIMEOUT_MS = 20_000;

/**
 * Which encoder each push uses. The service-wide H.264 choice (EGRESS_ENCODER) is made once at start by real test
 * encodes with the live options, and a forced encoder that fails stops the service there; the H.265 one is made the
 * same way when the first H.265 camera comes (each codec has its own test encodes: a GPU may encode one and not the
 * other). A camera that names its own encoder gets it if its test encode (made once, then remembered) works, else the
 * camera alone is in error; so is a camera whose codec its target cannot carry.
 */
@Injectable()
export class EgressEncoders {
  private readonly choices = new Map<VideoCodec, Promise<EncoderChoice<EncoderName>>>();
  private readonly probes = new Map<string, Promise<ProbeOutcome>>();
  private readonly ffmpeg = 'ffmpeg';

  constructor(@Inject(VIGIL_CONFIG) private readonly config: VigilConfig) {}

  /** Chooses the service-wide H.264 encoder; throws EncoderUnavailableError (the service refuses to start). */
  async init(): Promise<EncoderChoice<EncoderName>> {
    return this.serviceChoice('h264');
  }

  /** The encoder for a camera's push, or why it has none. */
  async forCamera(egress: CameraEgressConfig): Promise<{ name: EncoderName } | { error: string }> {
    const problem = codecTargetProblem(egress.codec, egress.url);
    if (problem) return { error: problem };
    try {
      const choice = egress.encoder === 'auto'
        ? await this.serviceChoice(egress.codec)
        : await selectEncoder<VideoCodec>(egress.encoder, (name) => this.probe(egress.codec, name), roleOf(egress.codec), egress.codec);
      return { name: choice.encoder };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }

  private serviceChoice(codec: VideoCodec): Promise<EncoderChoice<EncoderName>> {
    let choice = this.choices.get(codec);
    if (!choice) {
      choice = selectEncoder<VideoCodec>(servicePreference(this.config.egress.encoder, codec), (name) => this.probe(codec, name), roleOf(codec), codec);
      this.choices.set(codec, choice);
    }
    return choice;
  }

  /** One real test encode per codec and encoder, remembered (tests replace it). */
  protected probe(codec: VideoCodec, name: EncoderName): Promise<ProbeOutcome> {
    const key = `${codec} ${name}`;
    let outcome = this.probes.get(key);
    if (!outcome) {
      outcome = testEncode(this.ffmpeg, liveEncoderArgs({ codec, name }, PROBE_SETTINGS), PROBE_TIMEOUT_MS);
      this.probes.set(key, outcome);
    }
    return outcome;
  }
}

/** EGRESS_ENCODER for a codec: its `x264` means the CPU, whose encoder for H.265 is x265. */
export function servicePreference(preference: VigilConfig['egress']['encoder'], codec: VideoCodec): PreferenceOf<VideoCodec> {
  return preference === 'x264' ? CPU_ENCODERS[codec] : preference;
}

function roleOf(codec: VideoCodec): string {
  return codec === 'h264' ? 'egress encoder' : `egress encoder (${codecLabel(codec)})`;
}
