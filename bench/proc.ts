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
