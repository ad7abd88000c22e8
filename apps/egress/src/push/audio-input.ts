import { singleInputList } from '@vigil/media';
import { MAX_LATENESS_MS } from './capture-clock';

/**
 * Where a push reads the camera's audio: the camera's own source, opened a second time by the push's ffmpeg for its
 * audio alone (the source policy has admitted it: egress-audio.ts).
 */
export type AudioInput =
  /** a live camera: the url may hold credentials, so it reaches ffmpeg only in a list on a private fd */
  | { kind: 'rtsp'; url: string; transport: 'tcp' | 'udp' }
  /** a file camera (a real path inside MEDIA_ROOTS), looped */
  | { kind: 'file'; path: string };

/** Where ffmpeg reads the audio input's concat list: the child's fd 4 (fd 3 is the RTMP preset). */
export const AUDIO_LIST_FD = 4;

/**
 * Packets ffmpeg may hold for the audio input while it waits for video of the same time (the video comes later: it
 * went through the pipeline). At about 50 AAC packets a second this covers MAX_LATENESS_MS several times over;
 * ffmpeg's default of 8 would stop reading the camera after 160 ms, and a packet read late is stamped late.
 */
const AUDIO_QUEUE_PACKETS = 1024;
/** a camera that stops answering fails the read instead of hanging it (µs) */
const RTSP_TIMEOUT_US = '10000000';
/** the codec parameters come with the SDP; half a second of packets is plenty for the rest (µs) */
const ANALYZE_US = '500000';

export interface AudioInputCommand {
  /** the input's options and its -i, for after the video input */
  args: string[];
  /** the ffconcat list ffmpeg reads on AUDIO_LIST_FD, when the input needs one */
  list?: string;
}

/**
 * The ffmpeg input of a push's audio, on the push's timeline (which starts at `epochMs`, see pushEpoch).
 *
 * A live source: each packet is stamped with the wall clock as ffmpeg reads it (`-use_wallclock_as_timestamps`, on
 * the concat demuxer that wraps the source, which reads it straight through), and shifted to the timeline with
 * `-itsoffset -epoch` (`-copyts` keeps it). The video frames are stamped with their capture time, which ingest takes
 * the same way as the packets reach it from the same camera; so a sound and the picture taken with it get the same
 * timestamp, however long the picture took through the pipeline. ffmpeg then interleaves by timestamp: it holds the
 * audio until the video of the same moment comes. The RTSP session carries the audio alone
 * (`allowed_media_types`), so the camera does not send its video twice.
 *
 * A file source: ingest plays the file from whenever it started, and loops it by reopening it, so nothing ties a
 * moment of the file to a capture time. Its audio is looped here (`-stream_loop -1`) from the push's start on: it
 * plays along, not lined up with the picture.
 */
export function audioInputArgs(input: AudioInput, epochMs: number): AudioInputCommand {
  const queue = ['-thread_queue_size', String(AUDIO_QUEUE_PACKETS)];
  if (input.kind === 'file') {
    // starts where the push's frames start: MAX_LATENESS_MS into its timeline
    const start = (MAX_LATENESS_MS / 1000).toFixed(3);
    // file: so a path with a colon is not read as a protocol name, nor one starting with "-" as an option
    return { args: [...queue, '-stream_loop', '-1', '-itsoffset', start, '-protocol_whitelist', 'file', '-i', `file:${input.path}`] };
  }
  const list = singleInputList(input.url, {
    rtsp_transport: input.transport,
    allowed_media_types: 'audio',
    timeout: RTSP_TIMEOUT_US,
    analyzeduration: ANALYZE_US,
  });
  return {
    args: [
      ...queue, '-use_wallclock_as_timestamps', '1', '-itsoffset', `-${(epochMs / 1000).toFixed(3)}`,
      // pipe: the list itself; rtsp opens tcp (and udp + rtp with transport udp, tls for rtsps); never a file
      '-f', 'concat', '-safe', '0', '-protocol_whitelist', 'pipe,tcp,udp,rtp,tls', '-analyzeduration', ANALYZE_US,
      '-i', `pipe:${AUDIO_LIST_FD}`,
    ],
    list,
  };
}

/**
 * The audio output: AAC, continuous, on the timeline its stamps give it. `aresample=async=1000` stretches or
 * squeezes the sound by up to 1000 samples a second (about 2 %) to follow the stamps, and fills or drops a gap past
 * 100 ms at once. With `async=1` (gaps only) the sound kept the offset of its first packets for good, and those are
 * read in a burst while ffmpeg opens its inputs: 67 ms late in one measure, against 5-15 ms following the stamps
 * (test/e2e/egress-audio.test.ts prints them).
 */
export const AUDIO_OUTPUT_ARGS = ['-af', 'aresample=async=1000', '-c:a', 'aac', '-b:a', '128k'];

/** What a push start decided about the camera's audio (egress-audio.ts): the input to read, or why there is none. */
export type AudioPlan =
  | {
      input: AudioInput;
      /** the source's audio codec, as ffprobe names it (it is re-encoded to AAC either way) */
      codec: string;
      /** lined up with the picture by capture time (a live source), or only playing along (a file) */
      synced: boolean;
    }
  | { none: string };
