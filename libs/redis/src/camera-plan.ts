import type { CameraConfig } from '@vigil/contracts';

/** Why a replica stops running a camera: gone from the registry, now another replica's, or changed (and restarted). */
export type StopReason = 'removed' | 'moved' | 'changed';

export interface CameraPlan {
  stop: { id: string; reason: StopReason }[];
  /** cameras to start, changed ones included (after their stop) */
  start: CameraConfig[];
}

/**
 * What a replica changes so that it runs exactly the cameras it owns (CameraShare.reconcile), each with its current
 * config. Ingest, inference and egress each apply it with their own start and stop.
 */
export function planCameras(running: ReadonlyMap<string, CameraConfig>, wanted: ReadonlyMap<string, CameraConfig>, owned: ReadonlySet<string>): CameraPlan {
  const plan: CameraPlan = { stop: [], start: [] };
  for (const [id, config] of running) {
    const camera = wanted.get(id);
    if (!camera) plan.stop.push({ id, reason: 'removed' });
    else if (!owned.has(id)) plan.stop.push({ id, reason: 'moved' });
    else if (JSON.stringify(camera) !== JSON.stringify(config)) plan.stop.push({ id, reason: 'changed' });
  }
  const stopping = new Set(plan.stop.map(({ id }) => id));
  for (const id of owned) {
    const camera = wanted.get(id);
    if (camera && (!running.has(id) || stopping.has(id))) plan.start.push(camera);
  }
  return plan;
}
