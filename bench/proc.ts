/** CPU time of process trees from /proc (Linux only; figures are skipped elsewhere). */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface Stat {
  pid: number;
  ppid: number;
  comm: string;
  /** what the process is: its role for node processes (main, capture), else its name */
  label: string;
  /** utime + stime in clock ticks */
  ticks: number;
}

function readStat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: fields after the last ')' are fixed
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const fields = text.slice(close + 2).split(' ');
    // fields[0] is state (field 3); ppid is field 4, utime 14, stime 15
    return { pid, ppid: Number(fields[1]), comm, label: comm, ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

export function procAvailable(): boolean {
  try {
    readdirSync('/proc/self');
    return true;
  } catch {
    return false;
  }
}

/** pid -> {comm, ticks} for the roots and all their descendants. */
export function sampleTrees(roots: readonly number[]): Map<number, Stat> {
  const all = new Map<number, Stat>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) all.set(stat.pid, stat);
  }
  const children = new Map<number, number[]>();
  for (const stat of all.values()) {
    const list = children.get(stat.ppid) ?? [];
    list.push(stat.pid);
    children.set(stat.ppid, list);
  }
  const out = new Map<number, Stat>();
  const stack = [...roots];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    const stat = all.get(pid);
    if (!stat || out.has(pid)) continue;
    out.set(pid, { ...stat, label: labelOf(stat, roots) });
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** PSS (kB, from /proc/<pid>/smaps_rollup: shared pages split among their users) of the trees, by label. */
export function treePss(roots: readonly number[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const stat of sampleTrees(roots).values()) {
    try {
      const kb = Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${stat.pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
      out.set(stat.label, (out.get(stat.label) ?? 0) + kb);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export interface CpuDelta {
  /** CPU seconds used between the samples, by process name */
  byName: Map<string, number>;
  total: number;
}

/** CPU seconds between two samples; a process that appeared in between counts from its start. */
export function cpuBetween(before: Map<number, Stat>, after: Map<number, Stat>): CpuDelta {
  const byName = new Map<string, number>();
  let total = 0;
  for (const stat of after.values()) {
    const seconds = (stat.ticks - (before.get(stat.pid)?.ticks ?? 0)) / clockTicks();
    total += seconds;
    byName.set(stat.label, (byName.get(stat.label) ?? 0) + seconds);
  }
  return { byName, total };
}

function labelOf(stat: Stat, roots: readonly number[]): string {
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${stat.pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    // gone already
  }
  if (cmdline.includes('capture-process')) return 'capture';
  if (roots.includes(stat.pid) && /\/main\.js/.test(cmdline)) return 'vigil-main';
  return stat.comm;
}

/** Busy CPU seconds of the whole machine so far (all cores, from /proc/stat), for "others' load". */
export function machineBusySeconds(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal guest guest_nice
    const busy = v[0]! + v[1]! + v[2]! + v[5]! + v[6]! + v[7]!;
    return busy / clockTicks();
  } catch {
    return undefined;
  }
}

/** Load average over the last minute (others' work shows up here too). */
export function loadAverage(): number | undefined {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return undefined;
  }
}

/** Cores used by processes outside `ours` (trees; this process included) over `intervalMs`. */
export async function othersCores(ours: readonly number[], intervalMs = 1000): Promise<number | undefined> {
  const roots = [process.pid, ...ours];
  const busy0 = machineBusySeconds();
  const tree0 = sampleTrees(roots);
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, intervalMs));
  const busy1 = machineBusySeconds();
  const tree1 = sampleTrees(roots);
  const seconds = (performance.now() - t0) / 1000;
  if (busy0 === undefined || busy1 === undefined) return undefined;
  return Math.max(0, busy1 - busy0 - cpuBetween(tree0, tree1).total) / seconds;
}

/**
 * Another engineer's tests on the same 2 cores skew every figure, so measurements start once
 * the rest of the machine has been quiet (below `threshold` cores) for a second, or after
 * `maxWaitMs` anyway. Resolves with how long it waited and the last reading.
 */
export async function waitForQuiet(ours: readonly number[] = [], threshold = 0.15, maxWaitMs = 60_000): Promise<{ waitedMs: number; others?: number }> {
  const t0 = performance.now();
  for (;;) {
    const others = await othersCores(ours);
    if (others === undefined || others < threshold || performance.now() - t0 > maxWaitMs) {
      return { waitedMs: performance.now() - t0, others };
    }
  }
}
