import { join } from 'node:path';
import { spawnManaged, waitForLine, type ManagedChild } from '../../scripts/support';

const MAIN = join(__dirname, '..', '..', 'apps', 'send', 'src', 'main.js');

export interface SenderRun {
  child: ManagedChild;
  /** stderr lines so far (the sender's log and, without a TTY, its status lines) */
  lines(): string[];
  /** the next line matching `pattern` (lines already printed count) */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** the next status line printed after this call that matches `pattern` */
  nextStatus(pattern: RegExp, timeoutMs?: number): Promise<StatusLine>;
  /** SIGINT, as Ctrl-C; resolves with the exit code */
  interrupt(): Promise<number | null>;
}

export interface StatusLine {
  text: string;
  state: string;
  /** undefined where the line says "-" (not known yet) */
  fps?: number;
  kbps?: number;
  ratio?: number;
  frames: number;
  reconnects: number;
}

/** "send: status: live | 25.0 fps | 1987 kbit/s | ratio 212:1 | 1500 frames sent | 0 reconnects", read back. */
export function parseStatus(text: string): StatusLine | undefined {
  const match = /^send: status: (\S+) \| ([\d.]+|-) fps \| (\d+|-) kbit\/s \| ratio (?:([\d.]+):1|-) \| (\d+) frames? sent \| (\d+) reconnects?$/.exec(text);
  if (!match) return undefined;
  const [, state, fps, kbps, ratio, frames, reconnects] = match;
  const known = (value: string | undefined) => (value === undefined || value === '-' ? undefined : Number(value));
  return { text, state: state!, fps: known(fps), kbps: known(kbps), ratio: known(ratio), frames: Number(frames), reconnects: Number(reconnects) };
}

/** Runs the built `npm run send` (dist/apps/send/src/main.js) with these arguments (in `cwd`), its stderr a pipe (no TTY). */
export function runSender(args: readonly string[], cwd?: string): SenderRun {
  const child = spawnManaged('send', process.execPath, [MAIN, ...args], { maxLines: 400, ...(cwd ? { cwd } : {}) });
  const lines = () => child.lastLines().filter((line) => line.stream === 'stderr').map((line) => line.text);
  return {
    child,
    lines,
    waitFor: (pattern, timeoutMs = 30_000) => waitForLine(child, pattern, timeoutMs),
    nextStatus: (pattern, timeoutMs = 40_000) => new Promise<StatusLine>((resolve, reject) => {
      const timer = setTimeout(() => (stop(), reject(new Error(`no status line matching ${pattern} within ${timeoutMs} ms: ${child.describe()}`))), timeoutMs);
      const stop = child.onLine((line) => {
        const status = parseStatus(line.text);
        if (status && pattern.test(line.text)) {
          clearTimeout(timer);
          stop();
          resolve(status);
        }
      });
      void child.exited.then(() => (clearTimeout(timer), stop(), reject(new Error(`the sender exited: ${child.describe()}`))));
    }),
    interrupt: async () => {
      child.process.kill('SIGINT');
      return child.exited;
    },
  };
}
