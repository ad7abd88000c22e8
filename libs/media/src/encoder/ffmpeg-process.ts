import { spawn } from 'node:child_process';
import { maskText } from '@vigil/contracts';
import { StderrTail } from '@vigil/kernel/process';
import { trackChild } from '../child-processes';

export interface FfmpegRun {
  ffmpeg: string;
  args: readonly string[];
  /** killed after this long: a stuck encode must not hold its slot forever */
  timeoutMs: number;
  signal?: AbortSignal;
  cwd?: string;
}

export interface FfmpegOutcome {
  ok: boolean;
  /** how it ended, for error messages: 'exit code 1', 'killed after 60000 ms', ... */
  ending: string;
  /** its last stderr lines (ffmpeg reports errors there), credentials masked */
  stderr: string[];
  /** the signal that ended it when we did not send it (the OOM killer, an operator): a run worth trying again */
  killedBy?: NodeJS.Signals;
}

/** the last lines say what went wrong; the bound keeps a chatty ffmpeg from growing memory */
const STDERR_LINES = 12;

/** Runs ffmpeg as a child process, so the encode never blocks our event loop. Never rejects. */
export function runFfmpeg(run: FfmpegRun): Promise<FfmpegOutcome> {
  return new Promise((resolve) => {
    const tail = new StderrTail({ maxLines: STDERR_LINES, mask: maskText });
    let killedFor: string | undefined;
    const child = trackChild(spawn(run.ffmpeg, run.args, { cwd: run.cwd, stdio: ['ignore', 'ignore', 'pipe'] }));
    const kill = (why: string): void => {
      killedFor ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill(`killed after ${run.timeoutMs} ms`), run.timeoutMs);
    const onAbort = (): void => kill('aborted');
    run.signal?.addEventListener('abort', onAbort, { once: true });
    if (run.signal?.aborted) onAbort();

    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => tail.write(chunk));
    let settled = false;
    const settle = (ok: boolean, ending: string, killedBy?: NodeJS.Signals): void => {
      // a child that fails to start may report both 'error' and 'close'
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      run.signal?.removeEventListener('abort', onAbort);
      tail.end();
      resolve({ ok, ending, stderr: tail.lines(), ...(killedBy ? { killedBy } : {}) });
    };
    child.once('error', (error) => settle(false, `could not start ${run.ffmpeg}: ${error.message}`));
    // 'close', not 'exit': stderr has then been read to the end
    child.once('close', (code, signal) => {
      if (killedFor) settle(false, killedFor);
      else settle(code === 0, signal ? `ended by ${signal}` : `exit code ${code}`, signal ?? undefined);
    });
  });
}
