/**
 * How long the stages of a batch take, per frame, as moving averages: what a pipelined scheduler needs to start
 * preparing the next batch just before the run in flight ends, so that the preparation hides behind the run and
 * the frames it takes are hardly older than if it had waited.
 */
export class StageEstimates {
  private prepareMsPerFrame?: number;
  private runMsPerFrame?: number;

  /**
   * @param alpha weight of the newest sample (0.2: about the last ten batches)
   * @param lead how much earlier than the expected preparation time to start (1.5: half again, so a preparation
   *   slowed by the run it shares the cores with is still done in time)
   */
  constructor(
    private readonly alpha = 0.2,
    private readonly lead = 1.5,
  ) {}

  prepared(frames: number, ms: number): void {
    this.prepareMsPerFrame = this.average(this.prepareMsPerFrame, ms / frames);
  }

  ran(frames: number, ms: number): void {
    this.runMsPerFrame = this.average(this.runMsPerFrame, ms / frames);
  }

  /**
   * When to start preparing a batch of `nextFrames` while a run of `runFrames` started at `runStartedAt` is in flight;
   * undefined until both stages have been timed (then: at once).
   */
  prepareAt(runStartedAt: number, runFrames: number, nextFrames: number): number | undefined {
    if (this.prepareMsPerFrame === undefined || this.runMsPerFrame === undefined) return undefined;
    return runStartedAt + this.runMsPerFrame * runFrames - this.lead * this.prepareMsPerFrame * nextFrames;
  }

  private average(current: number | undefined, sample: number): number | undefined {
    if (!Number.isFinite(sample) || sample < 0) return current;
    return current === undefined ? sample : current + this.alpha * (sample - current);
  }
}
