import { Injectable } from '@nestjs/common';
import { describeRefusal, SourcePolicy } from '@vigil/config';
import type { CameraConfig, SourceKind } from '@vigil/contracts';
import { CodecProbe } from '@vigil/media';
import type { AudioPlan } from './push/audio-input';

/** Sources that never carry sound, and how the status says so. */
const SILENT_KINDS: Partial<Record<SourceKind, string>> = {
  test: 'a test:// source has no audio',
  http: 'an MJPEG-over-HTTP source has no audio',
  v4l2: 'a V4L2 device has no audio (its sound card is not read)',
  sequence: 'an image sequence has no audio',
};

/** what the status may show of a codec name (ffprobe's, from a hostile stream): short, plain */
const CODEC_NAME = /^[a-z0-9_]{1,32}$/;

/**
 * Whether a camera's push carries its audio, and where the push reads it: the camera's own source, opened a second
 * time for its audio alone. Asked at each push start, so a camera that gains or loses its sound, or whose name now
 * points elsewhere, is seen then. The source policy comes first, as it does before ingest's every capture start
 * (MEDIA_ROOTS, the network rules, host names resolved now): ffmpeg opens nothing the policy did not admit. Then
 * ffprobe looks for an audio stream (CodecProbe: the URL in a list on its stdin, never in argv).
 *
 * Why a second reader and not audio from ingest over the bus: ingest's capture is an OpenCV pipeline with one sink,
 * for pictures; and a live camera's packets reach a second reader at the moment they reach ingest, which is what
 * lines them up (push/audio-input.ts). The price: the camera must accept a second session (the probe is a third,
 * brief one).
 */
@Injectable()
export class EgressAudio {
  constructor(
    private readonly policy: SourcePolicy,
    private readonly probe: CodecProbe,
  ) {}

  async plan(camera: Pick<CameraConfig, 'url' | 'transport'>): Promise<AudioPlan> {
    const verdict = await this.policy.admit({ url: camera.url });
    if (!verdict.ok) return { none: `refused by the source policy: ${describeRefusal(verdict)}` };
    const { source } = verdict;
    const silent = SILENT_KINDS[source.kind];
    if (silent) return { none: silent };
    let codec: string | undefined;
    try {
      codec = await this.probe.audioCodec(source, camera.transport);
    } catch (error) {
      // the message is masked by the probe
      return { none: `cannot read the source's audio: ${(error as Error).message}` };
    }
    if (codec === undefined) return { none: 'the source has no audio stream' };
    const shown = CODEC_NAME.test(codec) ? codec : 'unknown';
    return source.kind === 'rtsp'
      ? { input: { kind: 'rtsp', url: source.location, transport: camera.transport }, codec: shown, synced: true }
      : { input: { kind: 'file', path: source.location }, codec: shown, synced: false };
  }
}
