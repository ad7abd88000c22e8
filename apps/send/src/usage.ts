import { SEND_DEFAULTS, SEND_LIMITS } from './send-defaults';
import { TEST_PATTERNS } from './send-source';

const { fps, bitrateKbps, width, height } = SEND_LIMITS;

/** `npm run send -- --help`. */
export const USAGE = `Usage: npm run send -- <source> <target> [options]
       npm run send -- <source> --serve rtsp://ADDRESS[:PORT]/path [options]

Encodes a source to H.264 or H.265 with ffmpeg (NVENC where a test encode works, else x264/x265) and pushes it
to an RTSP server (ANNOUNCE/RECORD over TCP) or an RTMP server, reconnecting with backoff when the server goes
away; or serves it over RTSP itself (--serve). Ctrl-C stops it.

Sources:
  /dev/videoN            a V4L2 camera
  FILE                   a video file, looped
  IMAGE                  a .jpg/.jpeg/.png/.bmp/.webp/.tif(f) picture, looped as a still video
  test://PATTERN         a test pattern: ${TEST_PATTERNS.join(', ')} (test:// alone: ${TEST_PATTERNS[0]})

Targets:
  rtsp://[user:password@]host[:port]/path    (the credentials never reach ffmpeg's command line)
  rtmp://host[:port]/app/stream-key, rtmps://...    (no user:password: put the secret in the stream key)

Options:
  --codec h264|h265      default ${SEND_DEFAULTS.codec}; H.265 cannot go over RTMP with this ffmpeg (5.1): use RTSP
  --fps N                output frame rate, ${fps.min}-${fps.max}; default the source's own (test patterns ${SEND_DEFAULTS.fps})
  --bitrate K            kbit/s, ${bitrateKbps.min}-${bitrateKbps.max}; default ${SEND_DEFAULTS.bitrateKbps}
  --size WxH             output size, even numbers, ${width.min}x${height.min} to ${width.max}x${height.max}; default the source's own
                         (test patterns ${SEND_DEFAULTS.testSize.width}x${SEND_DEFAULTS.testSize.height})
  --serve rtsp://ADDRESS[:PORT]/path
                         serve the stream at this URL instead of pushing it (port ${SEND_DEFAULTS.servePort} when none);
                         ADDRESS is an address of this machine: 0.0.0.0 (all), 127.0.0.1, [::], localhost
  -h, --help             this text

A status line shows fps, bitrate, compression ratio (raw 4:2:0 frames over the encoded stream), frames sent and
reconnects: redrawn in place on a terminal, a log line every ${SEND_DEFAULTS.statusEveryMs / 1000} s otherwise. Exit codes: 0 stopped by
Ctrl-C or SIGTERM, 1 a failure (no encoder works, the server could not listen), 2 a bad command line or source.

Examples:
  npm run send -- /dev/video0 rtsp://cam:secret@media.local:8554/door --codec h265
  npm run send -- clip.mp4 rtmp://media.local/live/door --fps 15 --bitrate 1500 --size 1280x720
  npm run send -- test://smptebars --serve rtsp://0.0.0.0:8554/bars
`;
