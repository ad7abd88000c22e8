import { Inject, Injectable } from '@nestjs/common';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import type { CameraEgressConfig } from '@vigil/contracts';
import { type EncoderChoice, type H264EncoderName, type ProbeOutcome, selectEncoder, testEncode } from '@vigil/media';
import { liveEncoderArgs, PROBE_SETTINGS } from './push/push-args';

const PROBE_TIMEOUT_MS = 20_000;
const ROLE = 'egress encoder';

/**
 * Which H.264 encoder each push uses. The service-wide choice (EGRESS_ENCODER) is made once at start by real test
 * encodes with the live options, and a forced encoder that fails stops the service there. A camera that names its
 * own encoder gets it if its test encode (made once, then remembered) works, else the camera alone is in error.
 */
@Injectable()
export class EgressEncoders {
  private choice?: EncoderChoice;
  private readonly probes = new Map<H264EncoderName, Promise<ProbeOutcome>>();
  private readonly ffmpeg = 'ffmpeg';

  constructor(@Inject(VIGIL_CONFIG) private readonly config: VigilConfig) {}

  /** Chooses the service-wide encoder; throws EncoderUnavailableError (the service refuses to start). */
  async init(): Promise<EncoderChoice> {
    this.choice = await selectEncoder(this.config.egress.encoder, (name) => this.probe(name), ROLE);
    return this.choice;
  }

  /** The encoder for a camera's push, or why it has none. */
  async forCamera(egress: CameraEgressConfig): Promise<{ name: H264EncoderName } | { error: string }> {
    if (egress.encoder === 'auto') return this.choice ? { name: this.choice.encoder } : { error: 'no egress encoder chosen yet' };
    try {
      const choice = await selectEncoder(egress.encoder, (name) => this.probe(name), ROLE);
      return { name: choice.encoder };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }

  private probe(name: H264EncoderName): Promise<ProbeOutcome> {
    let outcome = this.probes.get(name);
    if (!outcome) {
      outcome = testEncode(this.ffmpeg, liveEncoderArgs(name, PROBE_SETTINGS), PROBE_TIMEOUT_MS);
      this.probes.set(name, outcome);
    }
    return outcome;
  }
}
