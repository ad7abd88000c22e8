import type { LatestFrameSlots } from './latest-frame-slots';
import { StageEstimates } from './stage-estimates';

/** A camera's frame as the slots gave it up. */
export interface Taken<T> {
  camera: string;
  frame: T;
}

export interface BatchOptions {
  /** frames per run; 1 for a model without a batch dimension */
  size: number;
  /** how long a partial batch waits for more cameras' frames before it runs, ms */
  waitMs: number;
  /**
   * Overlap the stages of consecutive batches (default false: each batch goes through all its stages before the
   * next is taken): the next batch is prepared while one runs, and a batch is finished while the next runs.
   */
  pipeline?: boolean;
  /** the clock stages are timed with, ms (default performance.now; tests bring their own) */
  now?: () => number;
}

/**
 * A batch's work in stages. Each stage owns what it is given and frees it when it fails: the scheduler reports the
 * error and drops the batch.
 */
export interface BatchStages<T, P, R> {
  /** pre-processing (decode, letterbox); pipelined, it runs while the batch before it runs */
  prepare(batch: Taken<T>[]): Promise<P>;
  /** the model: one batch at a time, in the order they were taken */
  run(prepared: P): Promise<R>;
  /** post-processing and outputs, in the order the batches were taken; pipelined, it runs while the next batch runs */
  finish(result: R): Promise<void>;
}

/**
 * Runs the detector over the freshest frames, like DeepStream's stream muxer: a batch goes as soon as it is full,
 * or after `waitMs` with what has arrived. Frames wait in the slots, where a newer one overwrites an older one, until
 * the batch is taken, so a batch holds the newest state there is when its turn comes.
 *
 * Pipelined, the next batch's turn comes shortly before the run in flight ends: it is taken when the run is expected
 * to end within the time a preparation takes (see StageEstimates), so that it is ready when the model is free while
 * its frames are hardly older than if it had waited for the run to end. At most two batches are in flight: one in
 * preparation, one running or finishing.
 */
export class BatchScheduler<T, P = Taken<T>[], R = void> {
  private readonly stages: BatchStages<T, P, R>;
  private readonly now: () => number;
  private readonly estimates = new StageEstimates();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private preparing = false;
  private running?: { since: number; frames: number };
  /** settle once every batch taken so far is through `run`, through `finish` */
  private runsDone: Promise<void> = Promise.resolve();
  private finishesDone: Promise<void> = Promise.resolve();
  /** a partial batch waiting for company */
  private waitTimer?: NodeJS.Timeout;
  /** pipelined: when the next batch may be taken */
  private aheadTimer?: NodeJS.Timeout;

  constructor(
    private readonly slots: LatestFrameSlots<T>,
    private readonly options: BatchOptions,
    work: BatchStages<T, P, R> | ((batch: Taken<T>[]) => Promise<void>),
    private readonly onError: (error: Error) => void,
  ) {
    this.stages = typeof work === 'function' ? (runOnly(work) as unknown as BatchStages<T, P, R>) : work;
    this.now = options.now ?? (() => performance.now());
  }

  /** Call after every put into the slots. */
  notify(): void {
    this.pump(false);
  }

  /** Stops taking batches; resolves when the batches in flight (prepared ones included) are through all stages. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.waitTimer);
    clearTimeout(this.aheadTimer);
    await Promise.all(this.inFlight);
  }

  /** Takes a batch if the stages and the slots allow; `waited`: the frames there have waited their turn. */
  private pump(waited: boolean): void {
    if (this.stopped || this.slots.size === 0 || !this.stagesFree()) return;
    const at = this.running ? this.estimates.prepareAt(this.running.since, this.running.frames, this.options.size) : undefined;
    clearTimeout(this.aheadTimer);
    this.aheadTimer = undefined;
    if (at !== undefined && at > this.now()) {
      // the frames waiting now wait through the run; when their turn comes they go, however few
      this.aheadTimer = setTimeout(() => this.pump(true), at - this.now());
      return;
    }
    if (waited || this.slots.size >= this.options.size) {
      clearTimeout(this.waitTimer);
      this.waitTimer = undefined;
      this.start();
    } else {
      this.waitTimer ??= setTimeout(() => {
        this.waitTimer = undefined;
        this.pump(true);
      }, this.options.waitMs);
    }
  }

  private stagesFree(): boolean {
    if (!this.options.pipeline) return this.inFlight.size === 0;
    return !this.preparing && this.inFlight.size < 2;
  }

  private start(): void {
    const done = this.process(this.slots.take(this.options.size));
    this.inFlight.add(done);
    void done.finally(() => {
      this.inFlight.delete(done);
      this.pump(false);
    });
  }

  /** One batch through its stages; never rejects (errors go to onError). */
  private async process(batch: Taken<T>[]): Promise<void> {
    const ran = deferred();
    const finished = deferred();
    const runsBefore = this.runsDone;
    const finishesBefore = this.finishesDone;
    // a stage is free for the next batch once this batch and every one before it are through it
    this.runsDone = Promise.all([runsBefore, ran.promise]).then(() => undefined);
    this.finishesDone = Promise.all([finishesBefore, finished.promise]).then(() => undefined);
    this.preparing = true;
    try {
      let started = this.now();
      let prepared: P;
      try {
        prepared = await this.stages.prepare(batch);
      } finally {
        this.preparing = false;
      }
      this.estimates.prepared(batch.length, this.now() - started);
      await runsBefore;
      let result: R;
      started = this.now();
      this.running = { since: started, frames: batch.length };
      this.pump(false);
      try {
        result = await this.stages.run(prepared);
        this.estimates.ran(batch.length, this.now() - started);
      } finally {
        this.running = undefined;
        ran.resolve();
      }
      this.pump(false);
      await finishesBefore;
      await this.stages.finish(result);
    } catch (error) {
      this.onError(error as Error);
    } finally {
      ran.resolve();
      finished.resolve();
    }
  }
}

/** A single function as the run stage, with nothing to prepare or finish. */
function runOnly<T>(run: (batch: Taken<T>[]) => Promise<void>): BatchStages<T, Taken<T>[], void> {
  return { prepare: async (batch) => batch, run, finish: async () => undefined };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}
