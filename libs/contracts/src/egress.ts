import { z } from 'zod';
import { withinLength } from './limits';
import { STREAMS } from './channels';

const EGRESS_SCHEMES = ['rtmp:', 'rtmps:', 'rtsp:'] as const;

/** The encoders an egress may name: NVIDIA's (either codec) or a codec's CPU encoder. */
export const EGRESS_ENCODERS = ['auto', 'nvenc', 'x264', 'x265'] as const;
/** The CPU encoder of each codec (ffmpeg's libx264, libx265). */
export const CPU_ENCODERS = { h264: 'x264', h265: 'x265' } as const;
export type EgressProtocol = 'rtmp' | 'rtsp';

/** Which server protocol an egress URL speaks (rtmps is RTMP over TLS). Assumes a URL the schema accepted. */
export function egressProtocol(url: string): EgressProtocol {
  return url.toLowerCase().startsWith('rtsp:') ? 'rtsp' : 'rtmp';
}

/** Why an egress URL cannot be pushed to, or undefined when it can. The reason never repeats credentials. */
export function egressUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // the URL itself stays out of the message: where it is malformed, masking cannot be trusted
    return 'not a URL';
  }
  if (!(EGRESS_SCHEMES as readonly string[]).includes(parsed.protocol)) return `unsupported egress url scheme "${parsed.protocol}//" (rtmp://, rtmps:// or rtsp://)`;
  if (!parsed.hostname) return 'the url has no host';
  // the URL parser drops line breaks silently; ffmpeg would get them, and its preset lines would end there
  // eslint-disable-next-line no-control-regex
  if (/[\0-\x1f\x7f]/.test(url)) return 'the url holds a control character (a line break, a tab, ...)';
  // ffmpeg's RTMP takes a user and password only from the URL on its command line, which every user can read
  if (parsed.protocol !== 'rtsp:' && (parsed.username || parsed.password)) return 'an rtmp url cannot carry user:password (ffmpeg would show them to every user of the machine); put the secret in the stream key';
  // RTMP needs an application and a stream name (rtmp://host/live/yard); RTSP a path the server records to
  if (parsed.pathname.replace(/\/+/g, '') === '') return 'the url has no stream path, e.g. rtmp://host/live/yard or rtsp://host:8554/yard';
  return undefined;
}

/** The codecs vigil encodes live video to (egress pushes, `npm run send`). Alarm clips are always H.264. */
export const VIDEO_CODECS = ['h264', 'h265'] as const;
export type VideoCodec = (typeof VIDEO_CODECS)[number];

/**
 * Why a codec cannot be pushed to a URL, or undefined when it can: H.265 in FLV needs enhanced RTMP, which FFmpeg has
 * only since 6.1, and Debian 12 ships 5.1. One message for every place that refuses it (the API, the cameras file,
 * egress before it starts ffmpeg, `npm run send`).
 */
export function codecTargetProblem(codec: VideoCodec, url: string): string | undefined {
  if (codec !== 'h265' || egressProtocol(url) !== 'rtmp') return undefined;
  return 'H.265 cannot be pushed over RTMP: ffmpeg 5.1 (Debian 12) cannot put H.265 in FLV/RTMP ("Video codec hevc not compatible with flv"), which needs enhanced RTMP (FFmpeg 6.1 or newer); push H.265 over RTSP instead (an rtsp:// target), or use codec h264 for RTMP';
}

/** The fields of an `egress` section, each checked on its own; cameraEgressSchema adds the checks across fields. */
export const cameraEgressFieldsSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** rtmp://host/app/stream, rtmps://..., or rtsp://host:port/path (ANNOUNCE/RECORD over TCP) */
    url: z.string().min(1).superRefine(withinLength('urlLength')).superRefine((url, ctx) => {
      const problem = egressUrlProblem(url);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    }),
    /** `annotated` (boxes drawn; makes inference draw them) or `raw` */
    stream: z.enum(STREAMS).default('annotated'),
    /** output frame rate (constant; frames are repeated or dropped to hold it). Default: the rate frames arrive at, up to 30 */
    fps: z.number().positive().max(60).optional(),
    /** video bitrate, kbit/s */
    bitrate: z.number().int().min(100).max(50_000).default(2000),
    /** seconds between keyframes (a player joining waits up to this long) */
    keyframeSeconds: z.number().min(0.5).max(10).default(2),
    /** `h264`, or `h265` (RTSP targets only: see codecTargetProblem) */
    codec: z.enum(VIDEO_CODECS).default('h264'),
    /** `auto`: the service's choice (EGRESS_ENCODER); `nvenc`, or the CPU encoder of the codec (`x264`, `x265`), for this camera only */
    encoder: z.enum(EGRESS_ENCODERS).default('auto'),
    /**
     * the camera's audio (re-encoded to AAC) next to the video: `false` never; `true` or absent whenever the source
     * has audio (an RTSP camera or a file; the push looks at each start), lined up with the picture by capture time
     */
    audio: z.boolean().optional(),
  })
  .strict();

/**
 * A camera's `egress` section: its frames re-encoded to H.264 or H.265 and pushed to an RTMP or RTSP server. Every
 * default is here; the egress service reads the parsed value.
 */
export const cameraEgressSchema = cameraEgressFieldsSchema.superRefine((egress, ctx) => {
  const problem = egressUrlProblem(egress.url) === undefined ? codecTargetProblem(egress.codec, egress.url) : undefined;
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['codec'], message: problem });
  const cpu = CPU_ENCODERS[egress.codec];
  if (egress.encoder !== 'auto' && egress.encoder !== 'nvenc' && egress.encoder !== cpu) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['encoder'], message: `${egress.encoder} does not encode ${egress.codec === 'h264' ? 'H.264' : 'H.265'}: with codec ${egress.codec} use auto, nvenc or ${cpu}` });
  }
});
export type CameraEgressConfig = z.output<typeof cameraEgressSchema>;
export type CameraEgressInput = z.input<typeof cameraEgressSchema>;

export const EGRESS_STATES = ['waiting', 'connecting', 'live', 'error'] as const;
/**
 * `waiting`: no frames are coming (camera offline, or none yet), so no ffmpeg runs; `connecting`: ffmpeg started,
 * nothing sent yet; `live`: frames reach the server; `error`: ffmpeg failed (reason set), a restart is scheduled.
 */
export type EgressState = (typeof EGRESS_STATES)[number];

const count = z.number().int().nonnegative();

/** Whether a push carries the camera's audio, as GET /api/egress shows it. */
export const egressAudioStatusSchema = z
  .object({
    carried: z.boolean(),
    reason: z.string().optional().describe('why it is not carried: turned off, the source has none, or it could not be read (masked)'),
    codec: z.string().optional().describe("the source's audio codec (ffprobe's name); it is pushed as AAC"),
    synced: z.boolean().optional().describe('lined up with the picture by capture time (a live source); false: a file camera, whose audio only plays along'),
  })
  .strict();
export type EgressAudioStatus = z.infer<typeof egressAudioStatusSchema>;

/** One camera's push, as GET /api/egress shows it. */
export const egressStatusSchema = z
  .object({
    camera: z.string(),
    url: z.string().describe('the target, credentials masked'),
    stream: z.enum(STREAMS),
    state: z.enum(EGRESS_STATES),
    reason: z.string().optional().describe('why it is in `error` (masked)'),
    codec: z.enum(VIDEO_CODECS).describe('the codec pushed'),
    encoder: z.enum(['nvenc', 'x264', 'x265']).optional().describe('the encoder in use; absent when none could be used for this camera'),
    fps: z.number().nonnegative().optional().describe('output frame rate of the running (or last) ffmpeg'),
    width: count.optional(),
    height: count.optional(),
    audio: egressAudioStatusSchema.optional().describe('absent until the first start has looked at the source'),
    latencyMs: z.number().nonnegative().optional().describe("the last frame's capture-to-egress delay (the pipeline's: decode, bus, inference), ms"),
    pushed: count.describe('frames handed to ffmpeg'),
    dropped: count.describe('frames dropped because ffmpeg was behind'),
    restamped: count.describe('frames stamped with their arrival, not their capture time: too late (over 5 s) or captured "after" they arrived (clocks apart)'),
    reconnects: count.describe('ffmpeg restarts after a failure'),
    lastFrameAt: z.number().nonnegative().optional(),
    since: z.number().nonnegative().describe('epoch ms of the last state change'),
  })
  .strict();
export type EgressStatus = z.infer<typeof egressStatusSchema>;
