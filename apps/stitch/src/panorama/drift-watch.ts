/**
 * Notices a panorama whose inputs no longer agree in their overlap (a camera was knocked, or zoomed): the
 * agreement the renderer measures has stayed below the floor for `forMs`. One low frame (someone walking through
 * the overlap) is not drift; a measurement at or above the floor starts the count again. Pure: times are given.
 */
export class DriftWatch {
  private lowSince?: number;

  constructor(
    private readonly floor: number,
    private readonly forMs: number,
  ) {}

  /** One measurement (undefined: this frame was not measured). Returns true once drift is established. */
  observe(agreement: number | undefined, at: number): boolean {
    if (agreement === undefined) return false;
    if (!(agreement < this.floor)) {
      this.lowSince = undefined;
      return false;
    }
    this.lowSince ??= at;
    return at - this.lowSince >= this.forMs;
  }

  /** A new calibration: what was measured against the old one no longer counts. */
  reset(): void {
    this.lowSince = undefined;
  }
}
