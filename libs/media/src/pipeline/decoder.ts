/** Which video decoder element a camera gets. Pure: the caller says which elements the machine has. */

export type VideoCodec = 'h264' | 'h265';
export type DecoderPreference = 'auto' | 'cpu' | 'gpu';

export interface DecoderChoice {
  element: string;
  hardware: boolean;
  /** one line for the log and the API: why this decoder */
  reason: string;
}

const HARDWARE: Record<VideoCodec, string> = { h264: 'nvh264dec', h265: 'nvh265dec' };
const SOFTWARE: Record<VideoCodec, string> = { h264: 'avdec_h264', h265: 'avdec_h265' };

/** Every element name the choice may depend on, so a probe can ask for exactly these. */
export const DECODER_ELEMENTS: readonly string[] = [...Object.values(HARDWARE), ...Object.values(SOFTWARE)];

export function chooseDecoder(codec: VideoCodec, preference: DecoderPreference, available: ReadonlySet<string>): DecoderChoice {
  const hardware = HARDWARE[codec];
  const software = SOFTWARE[codec];
  if (preference !== 'cpu' && available.has(hardware)) {
    return { element: hardware, hardware: true, reason: `${hardware}: NVDEC is available` };
  }
  if (preference === 'gpu') {
    // asked for explicitly: silently decoding on the CPU would hide a broken GPU setup
    throw new Error(`decoder "gpu" was requested but ${hardware} is not available (no NVIDIA driver or GStreamer nvcodec plugin)`);
  }
  const why = preference === 'cpu' ? 'software decoding requested' : `${hardware} is not available (no NVIDIA driver or plugin)`;
  if (!available.has(software)) {
    throw new Error(`no ${codec} decoder: ${why}, and ${software} is missing (install gstreamer1.0-libav)`);
  }
  return { element: software, hardware: false, reason: `${software}: ${why}` };
}
