import { maskUrl, type CameraConfig, type Source } from '@vigil/contracts';
import type { DecoderChoice } from './decoder';
import { caps, element, link, token, type Fraction } from './launch';

export interface PipelineInput {
  camera: Pick<CameraConfig, 'transport' | 'realtime' | 'fps' | 'width' | 'height' | 'jpegQuality'>;
  source: Source;
  /** required for sources that carry compressed video (rtsp, file) */
  decoder?: DecoderChoice;
  /** live sources get a GStreamer watchdog that fails the pipeline after this long without a buffer */
  watchdogMs?: number;
  /**
   * names the elements `<label>-<factory>` (the camera's id): cameras share a capture process, and GStreamer's
   * errors name the element that failed, which tells whose they are
   */
  label?: string;
}

export interface Pipeline {
  /**
   * gst-launch description for OpenCV's GStreamer backend, ending in an appsink of JPEG frames; it plays without
   * waiting for a first frame, so opening it never holds up the other cameras of a shared capture process
   */
  launch: string;
  /**
   * the same, waiting for the first frame at open, for a camera in a capture process of its own: a source that
   * fails then fails at open, with GStreamer's reason, where the other form only stops sending frames
   */
  launchAlone: string;
  /** the same with credentials replaced by *** (for logs and the API) */
  masked: string;
  /** decoder element in use, or what decodes the source when no codec choice applies */
  decoder: string;
  /** a live source drops frames at the sink when we fall behind; a file source is paced or read flat out */
  live: boolean;
}

/** Frame rate of test patterns and image sequences when the camera sets no cap. */
export const DEFAULT_SYNTHETIC_FPS = 25;
const DEFAULT_TEST_SIZE = { width: 1280, height: 720 };

/**
 * Builds the capture pipeline of one camera: source -> decode -> (rate cap) -> (scale) -> JPEG -> appsink.
 * JPEG is encoded inside GStreamer straight from the decoder's YUV output: that skips the
 * YUV -> BGR conversion that OpenCV would need, which costs as much as the decode at 1080p.
 */
export function buildPipeline(input: PipelineInput): Pipeline {
  const plain = assemble(input, false, false);
  return { ...plain, launchAlone: assemble(input, false, true).launch, masked: assemble(input, true, false).launch };
}

function assemble(input: PipelineInput, mask: boolean, preroll: boolean): Omit<Pipeline, 'masked' | 'launchAlone'> {
  const { source, camera } = input;
  const head = sourceParts(input, mask);
  const name = namer(input.label);
  const tail = [
    ...stallGuard(head.live, input.watchdogMs, name),
    ...rateCap(camera.fps, source.kind === 'test'),
    ...scale(camera.width, camera.height, source.kind === 'test'),
    encoderThread(head.live),
    element('jpegenc', { quality: camera.jpegQuality, ...name('jpegenc') }),
    appsink(head.live, camera.realtime, preroll),
  ];
  return { launch: link([...head.parts, ...tail]), decoder: head.decoder, live: head.live };
}

interface SourceParts {
  parts: string[];
  decoder: string;
  live: boolean;
}

/** The `name` property of an element, when the pipeline is labelled. */
type Namer = (factory: string) => { name?: string };

function namer(label: string | undefined): Namer {
  return (factory) => (label === undefined ? {} : { name: `${token(label).token}-${factory}` });
}

/**
 * The decoder. A paced H.264 stream (a camera, a file played in real time) decodes on one thread: libav's frame
 * threads each hold a set of frames (at 16 cameras of 720p15: 47 MB of PSS a camera with them, 39 without), and
 * the cameras of a process keep the cores busy between them. 1080p H.264 decodes at about 90 fps on one thread. A
 * file read flat out, and H.265, which costs several times more, keep libav's automatic threads.
 */
function decoderElement(factory: string, paced: boolean, name: Namer): string {
  return element(factory, { ...name(factory), 'max-threads': paced && factory === 'avdec_h264' ? 1 : undefined });
}

/** An element without properties but its name. */
function plain(factory: string, name: Namer): string {
  return element(factory, name(factory));
}

function sourceParts(input: PipelineInput, mask: boolean): SourceParts {
  const { source, camera } = input;
  const name = namer(input.label);
  switch (source.kind) {
    case 'rtsp': {
      const decoder = requireDecoder(input);
      const { location, user, password } = splitCredentials(source.location, mask);
      const codec = decoder.element.includes('265') ? 'h265' : 'h264';
      return {
        parts: [
          element('rtspsrc', {
            location,
            'user-id': user,
            'user-pw': password,
            protocols: token(camera.transport),
            latency: 0,
            'drop-on-latency': true,
            ...name('rtspsrc'),
          }),
          plain(`rtp${codec}depay`, name),
          plain(`${codec}parse`, name),
          decoderElement(decoder.element, true, name),
          'videoconvert',
        ],
        decoder: decoder.element,
        live: true,
      };
    }
    case 'file': {
      const decoder = requireDecoder(input);
      const codec = decoder.element.includes('265') ? 'h265' : 'h264';
      return {
        parts: [element('filesrc', { location: source.location, ...name('filesrc') }), plain('parsebin', name), plain(`${codec}parse`, name), decoderElement(decoder.element, camera.realtime, name), 'videoconvert'],
        decoder: decoder.element,
        live: false,
      };
    }
    case 'http': {
      const { location, user, password } = splitCredentials(source.location, mask);
      return {
        parts: [
          element('souphttpsrc', {
            location,
            'user-id': user,
            'user-pw': password,
            'is-live': true,
            'do-timestamp': true,
            // a redirect would reach an address the source policy never saw (a metadata endpoint, say)
            'automatic-redirect': false,
            ...name('souphttpsrc'),
          }),
          plain('multipartdemux', name),
          plain('jpegdec', name),
          'videoconvert',
        ],
        decoder: 'jpegdec',
        live: true,
      };
    }
    case 'stitch':
      // ingest's registry follower leaves panoramas to the stitch service; a record that got here is refused
      throw new Error('a panorama (stitch://) is made by the stitch service from its inputs, not captured');
    case 'v4l2':
      return {
        parts: [element('v4l2src', { device: source.location, ...name('v4l2src') }), plain('decodebin', name), 'videoconvert'],
        decoder: 'decodebin',
        live: true,
      };
    case 'sequence': {
      const fps = camera.fps ?? DEFAULT_SYNTHETIC_FPS;
      return {
        parts: [
          element('multifilesrc', {
            location: source.location,
            index: 0,
            loop: true,
            caps: caps('image/jpeg', { framerate: fraction(fps) }),
            ...name('multifilesrc'),
          }),
          plain('jpegdec', name),
          'videoconvert',
        ],
        decoder: 'jpegdec',
        live: false,
      };
    }
    case 'test': {
      const fps = camera.fps ?? DEFAULT_SYNTHETIC_FPS;
      const { width, height } = testPatternSize(camera.width, camera.height);
      return {
        parts: [
          element('videotestsrc', { 'is-live': camera.realtime, pattern: token(source.location), ...name('videotestsrc') }),
          caps('video/x-raw', { width, height, framerate: fraction(fps) }),
        ],
        decoder: 'none (synthetic)',
        live: camera.realtime,
      };
    }
  }
}

/**
 * A queue starts a new streaming thread, so JPEG encoding runs beside decoding instead of after it
 * on the same thread: at 1080p on 2 cores this took capture from ~1.4 to ~1.8 cores and delivered
 * frames/s up by ~20% (bench/). A live source drops its oldest waiting frame rather than add delay.
 */
function encoderThread(live: boolean): string {
  return element('queue', { 'max-size-buffers': 3, 'max-size-bytes': 0, 'max-size-time': 0, leaky: live ? token('downstream') : undefined });
}

/**
 * A stalled live source leaves OpenCV's read blocked forever; GStreamer's watchdog element turns
 * silence into a pipeline error, so the read returns and the capture can reconnect.
 */
function stallGuard(live: boolean, watchdogMs: number | undefined, name: Namer): string[] {
  return live && watchdogMs ? [element('watchdog', { timeout: Math.round(watchdogMs), ...name('watchdog') })] : [];
}

/** Test patterns are generated at the requested rate and size already, so they skip these stages. */
function rateCap(fps: number | undefined, synthetic: boolean): string[] {
  if (fps === undefined || synthetic) return [];
  // drop-only never duplicates frames; max-rate caps without touching a slower source
  if (Number.isInteger(fps)) return [element('videorate', { 'drop-only': true, 'max-rate': fps })];
  // max-rate takes whole frames per second only: a fractional cap (0.5, 12.5) goes in the caps
  return [element('videorate', { 'drop-only': true }), caps('video/x-raw', { framerate: fraction(fps) })];
}

function scale(width: number | undefined, height: number | undefined, synthetic: boolean): string[] {
  if (synthetic || (width === undefined && height === undefined)) return [];
  // pixel-aspect-ratio=1/1 lets videoscale pick the missing side so the picture keeps its shape
  return ['videoscale', caps('video/x-raw', { width, height, 'pixel-aspect-ratio': { numerator: 1, denominator: 1 } })];
}

function appsink(live: boolean, realtime: boolean, preroll: boolean): string {
  // sync=true paces a file to its own timestamps; a live source is paced by the camera already
  const sync = !live && realtime;
  // no custom name: OpenCV finds its sink by the default name prefix "appsink"
  return element('appsink', {
    sync,
    'max-buffers': 2,
    drop: live,
    'emit-signals': false,
    // without preroll the pipeline plays at once, so OpenCV's open (synchronous, on the thread other cameras of the
    // process share) returns at once. With it OpenCV waits without a timeout: a file whose stream does not fit the
    // decoder (an MP3 named .mp4) never prerolls. Without, such a source stalls the read instead, on the thread
    // pool, where the supervisor's watchdog deals with it
    async: preroll ? undefined : false,
  });
}

function requireDecoder(input: PipelineInput): DecoderChoice {
  if (!input.decoder) throw new Error(`a ${input.source.kind} source needs a decoder choice`);
  return input.decoder;
}

function splitCredentials(url: string, mask: boolean): { location: string; user?: string; password?: string } {
  const parsed = new URL(url);
  const user = parsed.username ? decodeURIComponent(parsed.username) : undefined;
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  parsed.username = '';
  parsed.password = '';
  return {
    // masked: also the secrets a query string or a path may hold (?password=, a token segment)
    location: mask ? maskUrl(parsed.toString()) : parsed.toString(),
    user: user === undefined ? undefined : mask ? '***' : user,
    password: password === undefined ? undefined : mask ? '***' : password,
  };
}

function fraction(fps: number): Fraction {
  // GStreamer wants a fraction (it reduces it): 12.5 fps is written 12500/1000
  const denominator = Number.isInteger(fps) ? 1 : 1000;
  return { numerator: Math.round(fps * denominator), denominator };
}

/** One side given: the other follows the default 16:9 shape, rounded to even for 4:2:0 video. */
function testPatternSize(width: number | undefined, height: number | undefined): { width: number; height: number } {
  const even = (n: number): number => Math.max(2, Math.round(n / 2) * 2);
  if (width !== undefined && height !== undefined) return { width, height };
  if (width !== undefined) return { width, height: even((width * 9) / 16) };
  if (height !== undefined) return { width: even((height * 16) / 9), height };
  return DEFAULT_TEST_SIZE;
}
