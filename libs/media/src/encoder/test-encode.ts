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
  return outcome.ok ? { ok: true } : { ok: false, error: `${outcome.ending}: ${outcome.stderr.join(' | ') || '(no output)'}` };
}
