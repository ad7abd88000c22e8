import type { PathSettings, PathWindow, ServicePath } from './inference-path';
import { machineBusySeconds, waitForQuiet } from './proc';
import { fmt, note } from './report';

/** Windows of one arrangement added up, with the CPU of everything else on the machine meanwhile. */
export interface Measured extends PathWindow {
  otherCpuSeconds?: number;
}

export function emptyMeasured(): Measured {
  return { frames: 0, batches: 0, wall: 0, prepare: 0, runWall: 0, runInside: 0, finish: 0, annotated: 0, latencies: [], cpuSeconds: 0 };
}

/** Measures `settings` for `ms` once the machine is quiet, and adds the window to `total`. */
export async function measureInto(path: ServicePath, settings: PathSettings, ms: number, total: Measured, quietMaxMs: number, label: string): Promise<void> {
  const quiet = await waitForQuiet([], 0.15, quietMaxMs);
  if (quiet.waitedMs > 1500) note(`${label}: waited ${fmt(quiet.waitedMs / 1000)} s for a quiet machine (others ${fmt(quiet.others ?? NaN, 2)} cores)`);
  const busy0 = machineBusySeconds();
  const window = await path.measure(settings, ms);
  const busy1 = machineBusySeconds();
  for (const key of ['frames', 'batches', 'wall', 'prepare', 'runWall', 'runInside', 'finish', 'annotated', 'cpuSeconds'] as const) total[key] += window[key];
  total.latencies.push(...window.latencies);
  if (busy0 !== undefined && busy1 !== undefined) total.otherCpuSeconds = (total.otherCpuSeconds ?? 0) + Math.max(0, busy1 - busy0 - window.cpuSeconds);
}

export function outsideShare(m: Measured): number {
  return 1 - m.runInside / m.wall;
}

