import type { CameraCaptureHandle } from './camera-capture-handle';
import { CaptureHost } from './capture-host';
import type { CaptureJob } from './messages';

export interface CapturePoolOptions {
  /** cameras one capture process holds at most (CAMERAS_PER_CAPTURE_PROCESS); 1 gives each camera its own */
  camerasPerProcess: number;
  /** the nice value of the capture processes (CAPTURE_PROCESS_NICE); @default 0 */
  nice?: number;
  /** how long a suspect camera runs in a process of its own; @default 10 min */
  quarantineMs?: number;
  /** how long an empty process waits for a camera before it exits; @default 2 s */
  idleMs?: number;
  /** told how many capture processes run, whenever that changes */
  onProcesses?: (count: number) => void;
  /** told when a camera goes into a process of its own, and why */
  onQuarantine?: (camera: string, why: string) => void;
}

const DEFAULT_QUARANTINE_MS = 10 * 60_000;
const DEFAULT_IDLE_MS = 2000;

/**
 * Places cameras in capture processes: up to `camerasPerProcess` share one, which loads OpenCV and GStreamer once
 * for all of them (one process per camera cost 120-150 MB each). Sharing must not let one camera hurt the others:
 *  - a pipeline error or an end of stream ends that camera's loop only (capture-process.ts);
 *  - a read that never returns is abandoned, and that camera is quarantined: its next starts go to a process of
 *    its own for `quarantineMs`, where a stall only kills its own process;
 *  - a process that dies (a crash in native code) takes its cameras with it; they restart at once, each in a
 *    process of its own for `quarantineMs`, so the one that crashes again hurts nobody else, then rejoin shared
 *    processes at their next start after that.
 */
export class CapturePool {
  private readonly hosts = new Set<CaptureHost>();
  private readonly quarantined = new Map<string, number>();
  private readonly idleTimers = new Map<CaptureHost, NodeJS.Timeout>();
  private nextId = 1;

  constructor(private readonly options: CapturePoolOptions) {}

  start(job: CaptureJob): CameraCaptureHandle {
    const host = this.isQuarantined(job.camera) ? this.spawn(1) : (this.openShared() ?? this.spawn(this.options.camerasPerProcess));
    this.wake(host);
    return host.start(job);
  }

  private openShared(): CaptureHost | undefined {
    if (this.options.camerasPerProcess <= 1) return undefined;
    let best: CaptureHost | undefined;
    // the fullest process with room: cameras pack into few processes, and a process left empty can leave
    for (const host of this.hosts) if (host.capacity > 1 && host.open && (!best || host.load > best.load)) best = host;
    return best;
  }

  private spawn(capacity: number): CaptureHost {
    const host = new CaptureHost(this.nextId++, { capacity, nice: this.options.nice ?? 0 }, {
      empty: (empty) => this.idle(empty),
      abandoned: (_, camera) => this.quarantine(camera, 'its read did not return'),
      exited: (gone, cameras) => {
        this.wake(gone);
        this.hosts.delete(gone);
        this.options.onProcesses?.(this.hosts.size);
        for (const camera of cameras) this.quarantine(camera, 'its capture process died');
      },
    });
    this.hosts.add(host);
    this.options.onProcesses?.(this.hosts.size);
    return host;
  }

  private isQuarantined(camera: string): boolean {
    const until = this.quarantined.get(camera);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.quarantined.delete(camera);
    return false;
  }

  private quarantine(camera: string, why: string): void {
    const now = Date.now();
    // expired entries go here, so cameras long removed do not stay in the map
    for (const [other, until] of this.quarantined) if (until <= now) this.quarantined.delete(other);
    this.quarantined.set(camera, now + (this.options.quarantineMs ?? DEFAULT_QUARANTINE_MS));
    this.options.onQuarantine?.(camera, why);
  }

  private idle(host: CaptureHost): void {
    this.wake(host);
    const timer = setTimeout(() => {
      this.idleTimers.delete(host);
      host.retire();
    }, this.options.idleMs ?? DEFAULT_IDLE_MS);
    timer.unref();
    this.idleTimers.set(host, timer);
  }

  private wake(host: CaptureHost): void {
    clearTimeout(this.idleTimers.get(host));
    this.idleTimers.delete(host);
  }
}
