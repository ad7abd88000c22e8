/**
 * One slot per camera holding only its newest frame: a new frame overwrites the one waiting, so
 * a slow detector never builds a backlog, and every overwritten frame is counted as skipped.
 * Taking frames serves the cameras that have waited longest first, so none starves.
 */
export class LatestFrameSlots<T> {
  /** camera -> waiting frame; Map order is the order slots were filled (oldest first) */
  private readonly waiting = new Map<string, T>();
  private readonly skipped = new Map<string, number>();

  /** Puts a camera's newest frame; returns true when it replaced one that was never taken. */
  put(camera: string, frame: T): boolean {
    const replaced = this.waiting.has(camera);
    if (replaced) {
      // keep the camera's place in the queue: it has been waiting since its first untaken frame
      this.skipped.set(camera, (this.skipped.get(camera) ?? 0) + 1);
    }
    this.waiting.set(camera, frame);
    return replaced;
  }

  /** Takes up to `max` frames, longest-waiting camera first; their slots become empty. */
  take(max: number): { camera: string; frame: T }[] {
    const taken: { camera: string; frame: T }[] = [];
    for (const [camera, frame] of this.waiting) {
      if (taken.length >= max) break;
      taken.push({ camera, frame });
    }
    for (const { camera } of taken) this.waiting.delete(camera);
    return taken;
  }

  /** Cameras with a frame waiting. */
  get size(): number {
    return this.waiting.size;
  }

  skippedFor(camera: string): number {
    return this.skipped.get(camera) ?? 0;
  }

  /** Forgets a camera (it was removed or its detection disabled). */
  drop(camera: string): void {
    this.waiting.delete(camera);
    this.skipped.delete(camera);
  }
}
