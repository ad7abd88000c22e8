import type { ProbeOutcome } from './encoder-choice';
import { runFfmpeg } from './ffmpeg-process';

/**
 * A real encode of a few generated frames with the given output options (codec and its settings), discarding the
 * result: the only reliable sign that an encoder works on this machine.
 */
export async function testEncode(ffmpeg: string, outputArgs: readonly string[], timeoutMs: number): Promise<ProbeOutcome> {
  const outcome = await runFfmpeg({
    ffmpeg,
    args: ['-nostdin', '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=256x144:rate=10', '-frames:v', '5', ...outputArgs, '-f', 'null', '-'],
    timeoutMs,
  });
  return outcome.ok ? { ok: true } : { ok: false, error: `${outcome.ending}: ${firstReason(outcome.stderr)}` };
}

/**
 * ffmpeg's first error line without its `[h264_nvenc @ 0x55d0...]` prefix: the cause ("Cannot load libcuda.so.1");
 * the lines after it only say that the output could not be opened.
 */
export function firstReason(stderr: readonly string[]): string {
  const line = stderr.find((text) => text.trim() !== '');
  return line === undefined ? '(no output)' : line.replace(/^\[[^\]]+ @ 0x[0-9a-f]+\]\s*/, '').trim();
}
