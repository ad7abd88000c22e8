import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

export type OutputStream = 'stdout' | 'stderr';

export interface OutputLine {
  stream: OutputStream;
  text: string;
}

export interface ManagedChildOptions extends Omit<SpawnOptions, 'stdio'> {
  /** Grace period between SIGTERM and SIGKILL in stop(). Default 3000 ms. */
  stopTimeoutMs?: number;
  /** How many recent output lines to keep for error messages. Default 50. */
  maxLines?: number;
  /** 'pipe' lets a child notice its parent died (EOF on stdin). Default 'ignore'. */
  stdin?: 'pipe' | 'ignore';
  /** Mirror every output line to our stderr as `[name] line`. */
  echo?: boolean;
  /** Do not keep the Node event loop alive for this child; the exit hook still kills it. */
  unref?: boolean;
}

export interface ManagedChild {
  readonly name: string;
  readonly process: ChildProcess;
  /** Resolves with the exit code (null when ended by a signal or never started). Never rejects. */
  readonly exited: Promise<number | null>;
  /** True until the process has exited (or failed to start). */
  readonly running: boolean;
  /** SIGTERM (or `signal`), then SIGKILL after the timeout; resolves once it has exited. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<void>;
  /** The most recent output lines, oldest first. */
  lastLines(): OutputLine[];
  /** Calls `listener` for every future output line; returns an unsubscribe function. */
  onLine(listener: (line: OutputLine) => void): () => void;
  /** One-line state plus the recent output, for error messages. */
  describe(): string;
}

const DEFAULT_STOP_TIMEOUT_MS = 3000;
const DEFAULT_MAX_LINES = 50;
// After 'exit', wait at most this long for the pipes to drain so the last lines are not lost
// (a grandchild that inherited the pipes must not delay us forever).
const CLOSE_GRACE_MS = 250;

const running = new Set<ManagedChild>();
let exitHookInstalled = false;

// 'exit' handlers must be synchronous, so SIGKILL is the only thing that reliably works here.
// This runs on normal exit and process.exit(), including after failed tests; not on SIGKILL of us.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) {
      try {
        child.process.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
}

/** Children started by spawnManaged that have not exited yet. */
export function runningChildren(): readonly ManagedChild[] {
  return [...running];
}

export function spawnManaged(
  name: string,
  command: string,
  args: readonly string[] = [],
  options: ManagedChildOptions = {},
): ManagedChild {
  const { stopTimeoutMs = DEFAULT_STOP_TIMEOUT_MS, maxLines = DEFAULT_MAX_LINES, stdin = 'ignore', echo = false, unref = false, ...spawnOptions } = options;
  installExitHook();

  const child = spawn(command, args, { ...spawnOptions, stdio: [stdin, 'pipe', 'pipe'] });
  const lines: OutputLine[] = [];
  const listeners = new Set<(line: OutputLine) => void>();
  let isRunning = true;
  let exitCode: number | null = null;
  let exitSignal: NodeJS.Signals | null = null;
  let spawnError: Error | undefined;

  const emit = (line: OutputLine): void => {
    lines.push(line);
    if (lines.length > maxLines) lines.shift();
    if (echo) process.stderr.write(`[${name}] ${line.text}\n`);
    for (const listener of [...listeners]) listener(line);
  };

  const collect = (stream: Readable | null, which: OutputStream): void => {
    if (!stream) return;
    stream.setEncoding('utf8');
    let partial = '';
    stream.on('data', (chunk: string) => {
      // ffmpeg rewrites progress lines with bare \r, so treat it as a line break too.
      const parts = (partial + chunk).split(/\r\n|\r|\n/);
      partial = parts.pop() ?? '';
      for (const text of parts) if (text.length > 0) emit({ stream: which, text });
    });
    stream.on('end', () => {
      if (partial.length > 0) emit({ stream: which, text: partial });
      partial = '';
    });
  };
  collect(child.stdout, 'stdout');
  collect(child.stderr, 'stderr');

  let managed!: ManagedChild;
  const exited = new Promise<number | null>((resolve) => {
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      isRunning = false;
      running.delete(managed);
      resolve(exitCode);
    };
    child.once('exit', (code, signal) => {
      exitCode = code;
      exitSignal = signal;
      setTimeout(settle, CLOSE_GRACE_MS).unref();
    });
    child.once('close', settle);
    child.on('error', (err) => {
      // 'error' also fires when kill() fails on a live process; only a failed spawn ends us.
      if (child.pid === undefined) {
        spawnError = err;
        settle();
      }
    });
  });

  const describe = (): string => {
    const state = spawnError
      ? `failed to start: ${spawnError.message}`
      : isRunning
        ? `running (pid ${child.pid})`
        : exitSignal
          ? `exited on ${exitSignal}`
          : `exited with code ${exitCode}`;
    const output = lines.length > 0
      ? lines.map((l) => `  [${l.stream}] ${l.text}`).join('\n')
      : '  (no output)';
    return `${name} [${command} ${args.join(' ')}] ${state}; last output:\n${output}`;
  };

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs: number = stopTimeoutMs): Promise<void> => {
    if (!isRunning) {
      await exited;
      return;
    }
    child.kill(signal);
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    try {
      await exited;
    } finally {
      clearTimeout(killer);
    }
  };

  managed = {
    name,
    process: child,
    exited,
    get running() {
      return isRunning;
    },
    stop,
    lastLines: () => [...lines],
    onLine: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    describe,
  };
  running.add(managed);

  if (unref) {
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr] as (Readable | Writable | null)[]) {
      (stream as unknown as { unref?: () => void } | null)?.unref?.();
    }
  }
  return managed;
}

/**
 * Resolves with the first output line (stdout or stderr) matching `pattern`. Lines already
 * buffered count, so calling this a little after spawning cannot miss the line. Rejects with the
 * child's state and recent output on timeout or when the child exits first.
 */
export function waitForLine(child: ManagedChild, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  // A /g or /y regex keeps lastIndex between test() calls and would skip matches.
  const regex = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
  const seen = child.lastLines().find((line) => regex.test(line.text));
  if (seen) return Promise.resolve(seen.text);

  return new Promise<string>((resolve, reject) => {
    let done = false;
    const finish = (fn: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      fn();
    };
    const unsubscribe = child.onLine((line) => {
      if (regex.test(line.text)) finish(() => resolve(line.text));
    });
    const timer = setTimeout(() => {
      finish(() => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${regex} from ${child.describe()}`)));
    }, timeoutMs);
    void child.exited.then(() => {
      finish(() => reject(new Error(`Exited before printing ${regex}: ${child.describe()}`)));
    });
  });
}
