/** Frames per second over a sliding window, from cumulative frame counts sampled over time. */
export class FpsMeter {
  private readonly samples: { at: number; frames: number }[] = [];

  constructor(private readonly windowMs = 5000) {}

  sample(at: number, frames: number): void {
    this.samples.push({ at, frames });
    while (this.samples.length > 2 && at - this.samples[0]!.at > this.windowMs) this.samples.shift();
  }

  fps(): number {
    if (this.samples.length < 2) return 0;
    const first = this.samples[0]!;
    const last = this.samples[this.samples.length - 1]!;
    const seconds = (last.at - first.at) / 1000;
    return seconds > 0 ? Math.round(((last.frames - first.frames) / seconds) * 10) / 10 : 0;
  }

  reset(): void {
    this.samples.length = 0;
  }
}
