import { extname, resolve } from 'node:path';
import { SEND_DEFAULTS } from './send-defaults';
import { UsageError } from './usage-error';

/**
 * ffmpeg's lavfi test sources a `test://` source may name (each takes size= and rate=), and the default. A fixed
 * list: the name reaches a filter graph, so nothing else may.
 */
export const TEST_PATTERNS = ['testsrc2', 'testsrc', 'smptebars', 'smptehdbars', 'rgbtestsrc', 'pal75bars', 'mandelbrot'] as const;
export type TestPattern = (typeof TEST_PATTERNS)[number];
/** the camera config's name for the bars, kept for people who know it */
const PATTERN_ALIASES: Readonly<Record<string, TestPattern>> = { smpte: 'smptebars', '': 'testsrc2' };

/** Files read as one still picture, looped; anything else is read as video, looped. */
const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff']);

export type SendSource =
  | { kind: 'device'; path: string }
  | { kind: 'file'; path: string }
  | { kind: 'image'; path: string }
  | { kind: 'test'; pattern: TestPattern };

export interface Size {
  width: number;
  height: number;
}

/** The source argument as a source: /dev/videoN, test://pattern, or a file path (made absolute against `cwd`). */
export function parseSource(text: string, cwd: string): SendSource {
  const test = /^test:\/\/(.*)$/i.exec(text);
  if (test) {
    const name = test[1]!.toLowerCase();
    const pattern = PATTERN_ALIASES[name] ?? (TEST_PATTERNS as readonly string[]).find((known) => known === name);
    if (!pattern) throw new UsageError(`unknown test pattern ${JSON.stringify(test[1]!.slice(0, 40))}: use one of ${TEST_PATTERNS.map((known) => `test://${known}`).join(', ')}`);
    return { kind: 'test', pattern: pattern as TestPattern };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw new UsageError('unsupported source: give /dev/videoN, a video or image file, or test://<pattern> (network sources are not sent on; point a vigil camera at them)');
  if (text.startsWith('/dev/')) {
    if (!/^\/dev\/video\d{1,3}$/.test(text)) throw new UsageError('a device source must be a V4L2 device, /dev/video0 to /dev/video999');
    return { kind: 'device', path: text };
  }
  const path = resolve(cwd, text);
  return { kind: IMAGE_EXTENSIONS.has(extname(path).toLowerCase()) ? 'image' : 'file', path };
}

/** How a source is named in the status line and logs. */
export function describeSource(source: SendSource): string {
  return source.kind === 'test' ? `test://${source.pattern}` : source.path;
}

/**
 * ffmpeg's input options for a source, ending with its `-i`. A file is read at its own speed (`-re`) and looped; an
 * image is one picture repeated at `fps`. Paths go in as `file:` URLs under a whitelist of the file protocol alone:
 * a path can then be neither an option nor another protocol (`http:...`, `concat:...`), and a file whose content
 * names other URLs (an HLS playlist, an ffconcat list) cannot make ffmpeg fetch them.
 */
export function sourceInputArgs(source: SendSource, fps: number, size: Size | undefined): string[] {
  const local = ['-protocol_whitelist', 'file'];
  switch (source.kind) {
    case 'test': {
      const { width, height } = size ?? SEND_DEFAULTS.testSize;
      return ['-re', '-f', 'lavfi', '-i', `${source.pattern}=size=${integer(width)}x${integer(height)}:rate=${integer(fps)}`];
    }
    case 'device':
      // a camera asked for the size and rate it can do; the scale filter makes any other size
      return ['-f', 'v4l2', '-framerate', String(integer(fps)), ...(size ? ['-video_size', `${integer(size.width)}x${integer(size.height)}`] : []), '-i', source.path];
    case 'image':
      return ['-re', '-loop', '1', '-framerate', String(integer(fps)), '-f', 'image2', '-pattern_type', 'none', ...local, '-i', fileUrl(source.path)];
    case 'file':
      return ['-re', '-stream_loop', '-1', ...local, '-i', fileUrl(source.path)];
  }
}

/** ffprobe's input options for the same source, for its size and rate (a test pattern needs no probe). */
export function sourceProbeArgs(source: Exclude<SendSource, { kind: 'test' }>): string[] {
  switch (source.kind) {
    case 'device':
      return ['-f', 'v4l2', source.path];
    case 'image':
      return ['-f', 'image2', '-pattern_type', 'none', '-protocol_whitelist', 'file', fileUrl(source.path)];
    case 'file':
      return ['-protocol_whitelist', 'file', fileUrl(source.path)];
  }
}

function fileUrl(path: string): string {
  if (!path.startsWith('/')) throw new RangeError('a file source must be an absolute path by now');
  return `file:${path}`;
}

function integer(value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`not a positive integer: ${value}`);
  return value;
}
