import { execFile } from 'node:child_process';
import { trackChild } from './child-processes';

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a tool and resolves with its output whatever the exit code; rejects only if it cannot start. `input` is
 * written to its stdin (the way to hand it a secret: argv is readable by every user), which is closed either way.
 */
export function run(command: string, args: readonly string[], timeoutMs: number, input = ''): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { timeout: timeoutMs, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error(`${command} is not installed`));
        return;
      }
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
    trackChild(child);
    // EPIPE when the tool exits without reading: its exit code says why
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

/**
 * Returns `value` for an argv slot that must hold a path or URL; throws when a tool could take it for an option
 * instead (a leading "-": `-report` once reached ffprobe as one).
 */
export function notAnOption(value: string, what: string): string {
  if (value.trimStart().startsWith('-')) throw new Error(`${what} must not start with "-": a program would read it as an option`);
  return value;
}
