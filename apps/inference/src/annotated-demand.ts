/** How often a camera whose annotated frames reached no one publishes one anyway, to notice a new viewer. */
export const ANNOTATED_PROBE_MS = 1500;

/**
 * Whether a camera's annotated frames are worth making. One costs a full-size decode, drawing and a JPEG encode, so it
 * is made only while someone receives them: Redis' PUBLISH answers how many clients got the message (pattern
 * subscribers included), and a camera whose last one reached nobody publishes one every `probeMs` to find out whether
 * that changed. A new viewer waits at most that long for its first frame.
 */
export class AnnotatedDemand {
  /** camera -> receivers of its last annotated publish, and when it was made */
  private readonly last = new Map<string, { receivers: number; at: number }>();

  constructor(
    private readonly probeMs = ANNOTATED_PROBE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** True when the camera's next frame should be annotated and published. */
  wanted(camera: string): boolean {
    const last = this.last.get(camera);
    return !last || last.receivers > 0 || this.now() - last.at >= this.probeMs;
  }

  /**
   * Records a publish as it is made, so that the frames after it wait for the probe interval rather than each probing
   * while the answer is on its way; `receivers` (PUBLISH's reply) then settles it.
   */
  published(camera: string, receivers: Promise<number>): void {
    // until the reply comes, a camera that had viewers keeps annotating and one that had none waits
    const entry = { receivers: this.last.get(camera)?.receivers ?? 0, at: this.now() };
    this.last.set(camera, entry);
    void receivers
      .catch(() => 0) // an unanswered publish reached no one we know of: probe again in time
      .then((count) => {
        if (this.last.get(camera) === entry) entry.receivers = count;
      });
  }

  /** Forgets a camera (removed, or its detection turned off). */
  forget(camera: string): void {
    this.last.delete(camera);
  }
}
