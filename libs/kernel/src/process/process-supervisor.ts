import { backoffDelay, type BackoffOptions } from './backoff';
import type { StderrTail } from './stderr-tail';

/** a child healthy this long before it failed starts its backoff again from the shortest delay @default 10 s */
export const STABLE_MS = 10_000;
/** longest reason shown (a child's last words can be long) @default 500 characters */
export const MAX_REASON = 500;
/** distinct failures remembered as "already told" between two healthy runs; bounded, as reasons may hold counters */
const SEEN_MAX = 64;

/** The service's names for the supervisor's states: each service keeps the words its API and metrics use. */
export interface SupervisorStates<S extends string> {
  /** nothing runs and nothing is due: no work yet, or held (`hold()`) */
  idle: S;
  /** a child was started and has not yet made progress */
  starting: S;
  /** the child makes progress */
  running: S;
  /** the child ended or could not start; a retry follows the backoff */
  failed: S;
  /** the watchdog killed it: no progress for too long */
  stalled: S;
}

/** How one attempt ended, as the service's child tells it. */
export interface ChildEnding<S extends string> {
  reason: string;
  /** the state shown until the retry; default `states.failed` (ingest: 'offline' for a stream that ended) */
  state?: S;
  /** what the child wrote last, logged with the failure; never on a stop we asked for */
  stderr?: StderrTail;
}

/** A started child as the supervisor drives it. */
export interface SupervisedChild {
  /** Ends it on purpose, gracefully; resolves once it is gone. */
  stop(): Promise<void>;
  /** Ends it now (the watchdog's way: a stalled child may never answer a polite request). */
  kill(): void;
}

/** What `launch` gets: the attempt's own reporting channel, ignored once the attempt is over. */
export interface Attempt<S extends string> {
  /** healthy progress: the first makes the process `running`, each one feeds the watchdog */
  progress(): void;
  /** the child is gone; only the first call counts */
  ended(ending: ChildEnding<S>): void;
  /** aborted when the supervisor stops, or the watchdog gives up on a launch that never returned */
  readonly signal: AbortSignal;
}

/** why no child was started; `retry: false` when no retry could mend it (a later `start()` asks again) */
export interface Refusal<S extends string> {
  refused: string;
  state?: S;
  retry?: boolean;
}

export interface ProcessLogger {
  log(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

export interface SupervisorSnapshot<S extends string> {
  state: S;
  reason?: string;
  /** when the current state began, epoch ms */
  since: number;
  /** retries started after failures (not restarts the service asked for) */
  restarts: number;
}

export interface ProcessSupervisorOptions<S extends string> {
  /** names the process in log lines: "camera cam1" */
  name: string;
  states: SupervisorStates<S>;
  /** Starts one child (or says why not); may be async (a policy check, a plan). A throw counts as a refusal. */
  launch(attempt: Attempt<S>): Promise<SupervisedChild | Refusal<S>> | SupervisedChild | Refusal<S>;
  backoff: BackoffOptions;
  watchdog: {
    /** no progress this long (since the start, or since the last progress) and the child is killed */
    ms: number;
    /** the stall's reason, for a child that never made progress (`starting`) or stopped making it (`running`) */
    reason(phase: 'starting' | 'running'): string;
  };
  /** @default STABLE_MS */
  stableMs?: number;
  /**
   * asked on every watchdog check and before each retry: a reason to run nothing now (egress: no frames come), or
   * undefined. The child is stopped, the state is `idle` with that reason, and only `start()` starts again.
   */
  holdReason?(): string | undefined;
  /** applied to every reason and stderr line before it is kept or logged (URLs echo their credentials) */
  mask?(text: string): string;
  /** the log line for a state; default "<name>: <state> (<reason>)" */
  describe?(state: S, reason: string | undefined): string;
  logger: ProcessLogger;
  /** every change of state or reason; `repeat` when the same one was already told since the child last ran well */
  onState?(snapshot: SupervisorSnapshot<S>, repeat: boolean): void;
  /** a retry after a failure begins (a reconnect metric) */
  onRetry?(): void;
  /** @default { state: states.starting } */
  initial?: { state: S; reason?: string };
  /** for tests of the jitter */
  random?: () => number;
}

interface Run<S extends string> {
  readonly abort: AbortController;
  child?: SupervisedChild;
  startedAt: number;
  progressAt: number;
  runningAt?: number;
  /** ended on purpose: what follows its end */
  then?: 'stop' | 'hold' | 'restart';
  /** the watchdog killed it, for this reason */
  stalled?: string;
  over: boolean;
  /** the launch's promise, so a stop can wait for a child still being started */
  launched?: Promise<void>;
}

/**
 * Keeps one child alive for a service (a capture process, an ffmpeg push): starts it, watches its progress, kills
 * it when it stalls, and restarts it after a failure with capped exponential backoff and jitter, so that many
 * cameras failing together do not retry in lockstep. Every failure becomes a state with a reason; the first of a
 * kind is logged at warn with the child's last stderr lines, its repeats at debug, so a dead camera cannot flood
 * the log. What a child is and how it starts is the service's `launch`.
 */
export class ProcessSupervisor<S extends string> {
  private state: S;
  private reason?: string;
  private since = Date.now();
  private run?: Run<S>;
  private retry?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private attempt = 0;
  private restarts = 0;
  private stopped = false;
  private readonly seen = new Set<string>();
  private readonly mask: (text: string) => string;

  constructor(private readonly options: ProcessSupervisorOptions<S>) {
    this.mask = options.mask ?? ((text) => text);
    const initial = options.initial ?? { state: options.states.starting };
    this.state = initial.state;
    this.reason = initial.reason;
  }

  /** Starts a child unless one runs, one is being started, or a retry is due anyway. */
  start(): void {
    if (this.stopped || this.run || this.retry) return;
    this.begin();
  }

  /** Ends the child on purpose and starts a fresh one at once, without backoff (the service's settings changed). */
  restart(): void {
    const run = this.run;
    if (!run) return this.start();
    if (run.then) return;
    run.then = 'restart';
    void this.end(run);
  }

  /** Ends the child on purpose and waits in `state` until `start()` (idle; or failed, for a fault no retry mends). */
  hold(reason: string, state: S = this.options.states.idle): void {
    clearTimeout(this.retry);
    this.retry = undefined;
    const run = this.run;
    if (run && !run.then) {
      run.then = 'hold';
      void this.end(run);
    }
    this.setState(state, reason);
  }

  /** Ends the child on purpose; nothing restarts after it. Resolves once the child is gone. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    clearInterval(this.watchdog);
    const run = this.run;
    if (!run) return;
    run.then = 'stop';
    run.abort.abort();
    await this.end(run);
  }

  get current(): SupervisorSnapshot<S> {
    return { state: this.state, reason: this.reason, since: this.since, restarts: this.restarts };
  }

  private begin(): void {
    const now = Date.now();
    const run: Run<S> = { abort: new AbortController(), startedAt: now, progressAt: now, over: false };
    this.run = run;
    this.armWatchdog();
    const attempt: Attempt<S> = {
      progress: () => this.onProgress(run),
      ended: (ending) => this.onEnded(run, ending),
      signal: run.abort.signal,
    };
    run.launched = (async () => {
      let outcome: SupervisedChild | Refusal<S>;
      try {
        outcome = await this.options.launch(attempt);
      } catch (error) {
        outcome = { refused: (error as Error).message };
      }
      if ('refused' in outcome) {
        if (!run.over) this.onEnded(run, { reason: outcome.refused, state: outcome.state }, outcome.retry ?? true);
        return;
      }
      run.child = outcome;
      // given up on by the watchdog while it was being started: it goes at once (a stop or hold stops it itself)
      if (run.over) void this.stopChild(outcome);
      else if (!run.then && run.runningAt === undefined) this.setState(this.options.states.starting);
    })();
  }

  private onProgress(run: Run<S>): void {
    if (run !== this.run || run.over || run.then || run.stalled) return;
    run.progressAt = Date.now();
    if (run.runningAt !== undefined) return;
    run.runningAt = run.progressAt;
    this.setState(this.options.states.running);
  }

  private onEnded(run: Run<S>, ending: ChildEnding<S>, retry = true): void {
    if (run.over) return;
    run.over = true;
    if (run !== this.run) return;
    this.run = undefined;
    if (this.stopped || run.then === 'stop' || run.then === 'hold') return;
    if (run.then === 'restart') return this.begin();
    if (run.runningAt !== undefined && Date.now() - run.runningAt >= (this.options.stableMs ?? STABLE_MS)) this.attempt = 0;
    const { states } = this.options;
    const state = run.stalled ? states.stalled : (ending.state ?? states.failed);
    this.setState(state, run.stalled ?? ending.reason, ending.stderr);
    if (retry) this.scheduleRetry();
  }

  private scheduleRetry(): void {
    const delay = backoffDelay(this.attempt, this.options.backoff, this.options.random);
    this.attempt += 1;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (this.stopped) return;
      const hold = this.options.holdReason?.();
      if (hold !== undefined) return this.setState(this.options.states.idle, hold);
      this.restarts += 1;
      this.options.onRetry?.();
      this.begin();
    }, delay);
  }

  /** One check a few times per watchdog period, for as long as the supervisor lives. */
  private armWatchdog(): void {
    if (this.watchdog) return;
    this.watchdog = setInterval(() => this.check(), Math.max(10, Math.min(500, this.options.watchdog.ms / 4)));
    this.watchdog.unref();
  }

  private check(): void {
    const run = this.run;
    if (!run || run.then || run.stalled) return;
    const hold = this.options.holdReason?.();
    if (hold !== undefined) return this.hold(hold);
    const phase = run.runningAt === undefined ? 'starting' : 'running';
    const quietFor = Date.now() - (phase === 'starting' ? run.startedAt : run.progressAt);
    if (quietFor <= this.options.watchdog.ms) return;
    run.stalled = this.options.watchdog.reason(phase);
    run.abort.abort();
    if (run.child) run.child.kill();
    // a launch that never returned has no child to kill: the attempt is over, its child stops if it comes
    else this.onEnded(run, { reason: run.stalled });
  }

  /** Stops a run on purpose; what follows is its `then`, once it is gone (whether or not its child said so). */
  private async end(run: Run<S>): Promise<void> {
    await run.launched;
    if (run.child) await this.stopChild(run.child);
    this.onEnded(run, { reason: 'stopped' });
  }

  /** A stop that fails is told, not thrown: nobody awaits most stops, and the child is treated as gone. */
  private async stopChild(child: SupervisedChild): Promise<void> {
    await child.stop().catch((error: Error) => this.options.logger.warn(`${this.options.name}: could not stop its child: ${error.message}`));
  }

  private setState(state: S, rawReason?: string, stderr?: StderrTail): void {
    // masked before it is cut short: a cut could split a secret and leave its start unrecognised
    const reason = rawReason === undefined ? undefined : this.mask(rawReason).slice(0, MAX_REASON);
    if (state === this.state && reason === this.reason) return;
    if (state !== this.state) this.since = Date.now();
    this.state = state;
    this.reason = reason;
    const key = `${state}\n${reason ?? ''}`;
    const repeat = this.seen.has(key);
    this.seen.add(key);
    if (this.seen.size > SEEN_MAX) this.seen.delete(this.seen.values().next().value!);
    if (state === this.options.states.running) this.seen.clear();
    this.log(state, reason, repeat, stderr);
    this.options.onState?.(this.current, repeat);
  }

  private log(state: S, reason: string | undefined, repeat: boolean, stderr?: StderrTail): void {
    const { states, logger } = this.options;
    const line = this.options.describe?.(state, reason) ?? `${this.options.name}: ${state}${reason ? ` (${reason})` : ''}`;
    const failure = state !== states.idle && state !== states.starting && state !== states.running;
    const output = stderr?.lines() ?? [];
    // the child's last words go with the failure they explain, once: at warn the first time, at debug after. Each
    // is a line of its own, named, since a child's output could otherwise pass for one of our lines
    const tail = failure ? output.map((text) => `${this.options.name}: stderr: ${this.mask(text)}`) : [];
    const write = repeat ? logger.debug : failure ? logger.warn : logger.log;
    write.call(logger, repeat ? `${line}${failure ? `, again (attempt ${this.attempt + 1})` : ''}` : line);
    for (const text of tail) write.call(logger, text);
  }
}
