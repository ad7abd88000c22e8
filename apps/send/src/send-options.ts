import { VIDEO_CODECS, type VideoCodec } from '@vigil/contracts';
import { SEND_DEFAULTS, SEND_LIMITS } from './send-defaults';
import { parseSource, type SendSource, type Size } from './send-source';
import { parsePushTarget, parseServeUrl, type SendTarget } from './send-target';
import { UsageError } from './usage-error';

export interface SendOptions {
  source: SendSource;
  target: SendTarget;
  codec: VideoCodec;
  /** output frame rate; absent: the source's own (a test pattern's SEND_DEFAULTS.fps) */
  fps?: number;
  bitrateKbps: number;
  /** output size; absent: the source's own (a test pattern's SEND_DEFAULTS.testSize) */
  size?: Size;
  keyframeSeconds: number;
}

export type ParsedArgs = { help: true } | { help: false; options: SendOptions };

const VALUE_OPTIONS = ['--codec', '--fps', '--bitrate', '--size', '--serve'] as const;
type ValueOption = (typeof VALUE_OPTIONS)[number];

/**
 * The command line of `npm run send`, every argument hostile: control characters, over-long arguments, unknown or
 * repeated options, values out of bounds, and a source or target that a program could read as an option are refused
 * with a UsageError that says what is wrong (never echoing more than a short piece of the argument).
 */
export function parseSendArgs(argv: readonly string[], cwd: string): ParsedArgs {
  argv.forEach((arg, index) => {
    // a line break would let a path or URL forge lines in the log; an escape sequence would drive the terminal
    // eslint-disable-next-line no-control-regex
    if (/[\0-\x1f\x7f]/.test(arg)) throw new UsageError(`argument ${index + 1} holds a control character (a line break, a tab, an escape, ...)`);
    if (arg.length > SEND_LIMITS.argumentLength) throw new UsageError(`argument ${index + 1} is longer than ${SEND_LIMITS.argumentLength} characters`);
  });
  const values = new Map<ValueOption, string>();
  const positional: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('-')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    if (!(VALUE_OPTIONS as readonly string[]).includes(name)) throw new UsageError(`unknown option ${quoteShort(name)} (see --help)`);
    const option = name as ValueOption;
    if (values.has(option)) throw new UsageError(`${option} is given twice`);
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      i += 1;
    }
    // "--fps --bitrate 9" must not take "--bitrate" as the rate
    if (value === undefined || value === '' || value.startsWith('-')) throw new UsageError(`${option} needs a value`);
    values.set(option, value);
  }
  if (help) return { help: true };

  const codec = parseCodec(values.get('--codec'));
  const serve = values.get('--serve');
  const wanted = serve === undefined ? 2 : 1;
  if (positional.length === 0) throw new UsageError(serve === undefined ? 'give a source and a target: npm run send -- <source> <target> (see --help)' : 'give a source to serve');
  if (positional.length < wanted) throw new UsageError('give a target (rtsp://... or rtmp://...) or --serve rtsp://ADDRESS:PORT/path');
  if (positional.length > wanted) throw new UsageError(serve === undefined ? 'too many arguments: a source and a target' : 'too many arguments: with --serve, only a source');
  for (const [what, text] of [['the source', positional[0]!], ['the target', positional[1]]] as const) {
    // only after "--": everything else starting with "-" was taken for an option
    if (text !== undefined && text.trimStart().startsWith('-')) throw new UsageError(`${what} must not start with "-": a program would read it as an option`);
    if (text !== undefined && text.trim() === '') throw new UsageError(`${what} is empty`);
  }
  const source = parseSource(positional[0]!, cwd);
  const target: SendTarget = serve === undefined ? parsePushTarget(positional[1]!, codec) : { kind: 'serve', bind: parseServeUrl(serve) };
  const fps = values.has('--fps') ? boundedInteger('--fps', values.get('--fps')!, SEND_LIMITS.fps) : undefined;
  const bitrateKbps = values.has('--bitrate') ? boundedInteger('--bitrate', values.get('--bitrate')!, SEND_LIMITS.bitrateKbps) : SEND_DEFAULTS.bitrateKbps;
  const size = values.has('--size') ? parseSize(values.get('--size')!) : undefined;
  return {
    help: false,
    options: { source, target, codec, bitrateKbps, keyframeSeconds: SEND_DEFAULTS.keyframeSeconds, ...(fps === undefined ? {} : { fps }), ...(size ? { size } : {}) },
  };
}

function parseCodec(value: string | undefined): VideoCodec {
  if (value === undefined) return SEND_DEFAULTS.codec;
  const codec = value.toLowerCase() === 'hevc' ? 'h265' : value.toLowerCase();
  if (!(VIDEO_CODECS as readonly string[]).includes(codec)) throw new UsageError(`--codec must be h264 or h265, not ${quoteShort(value)}`);
  return codec as VideoCodec;
}

function boundedInteger(option: string, value: string, bounds: { min: number; max: number }): number {
  if (!/^\d{1,6}$/.test(value)) throw new UsageError(`${option} must be a whole number from ${bounds.min} to ${bounds.max}, not ${quoteShort(value)}`);
  const number = Number(value);
  if (number < bounds.min || number > bounds.max) throw new UsageError(`${option} must be from ${bounds.min} to ${bounds.max}, not ${number}`);
  return number;
}

/** WxH, both even (4:2:0 video has a chroma sample per 2x2 pixels), within the bounds. */
export function parseSize(value: string): Size {
  const match = /^(\d{1,5})x(\d{1,5})$/i.exec(value);
  if (!match) throw new UsageError(`--size must be WIDTHxHEIGHT, e.g. 1280x720, not ${quoteShort(value)}`);
  const [width, height] = [Number(match[1]), Number(match[2])];
  const { width: w, height: h } = SEND_LIMITS;
  if (width < w.min || width > w.max || height < h.min || height > h.max) throw new UsageError(`--size must be from ${w.min}x${h.min} to ${w.max}x${h.max}, not ${width}x${height}`);
  if (width % 2 || height % 2) throw new UsageError(`--size must be even in both directions (4:2:0 video), not ${width}x${height}`);
  return { width, height };
}

/** A piece of an argument for a message: short, and as JSON, so whatever it holds stays visibly quoted. */
function quoteShort(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}
