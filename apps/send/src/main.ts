/**
 * `npm run send -- <source> <target> [options]`: a webcam, a file, an image or a test pattern, encoded to H.264 or
 * H.265 and pushed to an RTSP or RTMP server, or served over RTSP (--serve), with live figures. See usage.ts.
 */
import { maskUrl, oneLine, type VideoCodec } from '@vigil/contracts';
import { codecLabel, liveEncoderArgs, PROBE_SETTINGS, selectEncoder, testEncode } from '@vigil/media/encoder';
import { SEND_DEFAULTS } from './send-defaults';
import { formatStatus } from './send-figures';
import { parseSendArgs, type SendOptions } from './send-options';
import { planFor } from './send-plan';
import { describeSource } from './send-source';
import { servedUrl } from './send-target';
import { type SendDestination, Sender } from './sender';
import { RtspServe } from './rtsp-serve';
import { checkSource, probeSource, type SourceFormat } from './source-probe';
import { StatusBoard } from './status-board';
import { USAGE } from './usage';
import { USAGE_EXIT_CODE, UsageError } from './usage-error';

/** A message before the board exists, or after it stopped: one line, masked. */
function fail(message: string): void {
  process.stderr.write(`send: ${oneLine(maskUrl(message))}\n`);
}

async function main(argv: readonly string[]): Promise<number> {
  let options: SendOptions;
  let format: SourceFormat | undefined;
  try {
    const parsed = parseSendArgs(argv, process.cwd());
    if (parsed.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    options = parsed.options;
    await checkSource(options.source);
    if (options.source.kind !== 'test') format = await probeSource(options.source, SEND_DEFAULTS.probeTimeoutMs);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    fail(error.message);
    fail('run "npm run send -- --help" for the usage');
    return USAGE_EXIT_CODE;
  }

  const codec: VideoCodec = options.codec;
  let choice;
  try {
    // a real encode with the live options, NVENC first: ffmpeg lists NVENC wherever it was built with it, and GPUs
    // without an encoder (A100, H100, H200) fail only when encoding
    choice = await selectEncoder<VideoCodec>('auto', (name) => testEncode('ffmpeg', liveEncoderArgs({ codec, name }, PROBE_SETTINGS), SEND_DEFAULTS.probeTimeoutMs), 'encoder', codec);
  } catch (error) {
    fail((error as Error).message);
    return 1;
  }
  const plan = planFor(options, format, { codec, name: choice.encoder });

  let serve: RtspServe | undefined;
  let destination: SendDestination;
  if (options.target.kind === 'serve') {
    try {
      serve = await RtspServe.start(options.target.bind, codec);
    } catch (error) {
      fail((error as Error).message);
      return 1;
    }
    destination = { serve, url: servedUrl(options.target.bind, serve.port) };
  } else {
    destination = { push: options.target.url };
  }

  // the sender logs through the board, which must know the sender's status: the board is made first, lazily bound
  let sender: Sender | undefined;
  const board = new StatusBoard(process.stderr, {
    status: () => (sender ? formatStatus(sender.status()) : 'starting'),
    statusEveryMs: SEND_DEFAULTS.statusEveryMs,
    redrawEveryMs: SEND_DEFAULTS.redrawEveryMs,
    mask: (text) => (sender ? sender.mask(text) : maskUrl(text)),
  });
  sender = new Sender({ plan, destination, logger: board, reconnect: SEND_DEFAULTS.reconnect, stallMs: SEND_DEFAULTS.stallMs, stopGraceMs: SEND_DEFAULTS.stopGraceMs });
  board.line(`encoder: ${choice.reason}`);
  const where = 'push' in destination ? `to ${maskUrl(destination.push)}` : `at ${destination.url}`;
  board.line(`${serve ? 'serving' : 'sending'} ${describeSource(plan.source)} ${where}: ${codecLabel(codec)} ${plan.size.width}x${plan.size.height} at ${plan.fps} fps, ${plan.bitrateKbps} kbit/s (Ctrl-C stops)`);
  sender.start();
  board.start();

  const ended = await new Promise<{ code: number; why: string }>((resolve) => {
    const stop = (signal: NodeJS.Signals) => resolve({ code: 0, why: `${signal}: stopping` });
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // the terminal closed: the same clean stop, rather than Node's default exit with its children killed
    process.once('SIGHUP', stop);
    void serve?.exited.then((why) => resolve({ code: 1, why }));
  });
  board.line(ended.why);
  // a second Ctrl-C while stopping: no waiting any more (the exit hook kills what still runs)
  process.once('SIGINT', () => process.exit(130));
  await sender.stop();
  await serve?.stop();
  board.stop();
  return ended.code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    fail(`failed: ${error.message}`);
    process.exit(1);
  },
);
