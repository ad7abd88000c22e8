import { mock } from 'node:test';
import type { Attempt, ProcessLogger, SupervisedChild } from '@vigil/kernel';

/** A child for the supervisor's unit tests: it makes progress, ends, or hangs when the test says so. */
export class FakeChild implements SupervisedChild {
  stopped = false;
  killed = false;

  constructor(readonly attempt: Attempt<string>) {}

  progress(): void {
    this.attempt.progress();
  }

  /** it dies on its own */
  die(reason: string, extra: Omit<Parameters<Attempt<string>['ended']>[0], 'reason'> = {}): void {
    this.attempt.ended({ reason, ...extra });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.attempt.ended({ reason: 'stopped on request' });
  }

  kill(): void {
    this.killed = true;
    this.attempt.ended({ reason: 'ended by SIGKILL' });
  }
}

/** Log lines by level, for asserting what was told and how loudly. */
export class LogLines implements ProcessLogger {
  readonly lines: { level: 'log' | 'warn' | 'debug'; text: string }[] = [];

  log(text: string): void {
    this.lines.push({ level: 'log', text });
  }

  warn(text: string): void {
    this.lines.push({ level: 'warn', text });
  }

  debug(text: string): void {
    this.lines.push({ level: 'debug', text });
  }

  at(level: 'log' | 'warn' | 'debug'): string[] {
    return this.lines.filter((line) => line.level === level).map((line) => line.text);
  }
}

/** Lets pending promise callbacks run (mock timers leave setImmediate real). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Moves node:test's mock timers on by `ms`, in steps of `step`, letting promise callbacks run after each step. */
export async function advance(ms: number, step = 100): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    mock.timers.tick(Math.min(step, ms - done));
    await settle();
  }
}
