/** How often a camera whose annotated frames reached no one publishes one anyway, to notice a new viewer. */
export const ANNOTATED_PROBE_MS = 1500;

/**
 * What to do with a camera's frame for its annotated stream: `annotate` (decode at full size, draw, encode, publish),
 * `probe` (publish the frame as it came, to learn whether anyone receives the stream now), or `none`.
 */
export type AnnotatedAction = 'annotate' | 'probe' | 'none';

/**
 * Whether a camera's annotated frames are worth making. One costs a full-size decode, drawing and a JPEG encode, so it
 * is made only while someone receives them: Redis' PUBLISH answers how many clients got the message (pattern
 * subscribers included). A camera whose last publish reached no one publishes its raw frame every `probeMs` (no pixel
 * work); once one reaches someone, the frames after it are annotated. So a new viewer waits at most `probeMs`, and
 * its first frame may lack the boxes.
 */
export class AnnotatedDemand {
  /** camera -> receivers of its last annotated publish, and when it was made */
  private readonly last = new Map<string, { receivers: number; at: number }>();

  constructor(
    private readonly probeMs = ANNOTATED_PROBE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  next(camera: string): AnnotatedAction {
    const last = this.last.get(camera);
    if (last && last.receivers > 0) return 'annotate';
    return !last || this.now() - last.at >= this.probeMs ? 'probe' : 'none';
  }

  /**
   * Records a publish as it is made, so that the frames after it do not each probe while the answer is on its way;
   * `receivers` (PUBLISH's reply; the caller logs a failure and answers 0) then settles it.
   */
  published(camera: string, receivers: Promise<number>): void {
    // until the reply comes, a camera that had viewers keeps annotating and one that had none waits
    const entry = { receivers: this.last.get(camera)?.receivers ?? 0, at: this.now() };
    this.last.set(camera, entry);
    void receivers.then((count) => {
      if (this.last.get(camera) === entry) entry.receivers = count;
    });
  }

  /** Forgets a camera (removed, or its detection turned off). */
  forget(camera: string): void {
    this.last.delete(camera);
  }
}
