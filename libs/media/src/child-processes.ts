import type { ChildProcess } from 'node:child_process';

/**
 * Every child process a vigil process starts (capture processes, ffmpeg encodes and pushes, probes), so that none
 * outlives it: at exit, however it comes (a shutdown that ran out of time, process.exit after a fatal error), the
 * ones still running are killed. 'exit' handlers must be synchronous, so SIGKILL is all that works there.
 */
const running = new Set<ChildProcess>();
let hooked = false;

/** Registers a child just spawned; it leaves the set when it exits. Returns it, for chaining. */
export function trackChild<T extends ChildProcess>(child: T): T {
  if (!hooked) {
    hooked = true;
    process.once('exit', () => killChildren());
  }
  if (child.exitCode !== null || child.signalCode !== null) return child;
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.once('error', () => running.delete(child));
  return child;
}

/** Kills every tracked child that is still running; returns how many it signalled. */
export function killChildren(signal: NodeJS.Signals = 'SIGKILL'): number {
  let count = 0;
  for (const child of running) {
    try {
      if (child.kill(signal)) count += 1;
    } catch {
      // already gone
    }
  }
  return count;
}
