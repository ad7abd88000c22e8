import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Every process below `pid` (children, their children, ...), from one `ps` listing. */
export function descendants(pid: number): number[] {
  const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const [child, ppid] of rows) {
      if (ppid === parent && !found.includes(child)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** Those of `pids` still running (a zombie, dead but not yet reaped, does not count), with their command lines. */
export function stillRunning(pids: readonly number[]): string[] {
  if (pids.length === 0) return [];
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=,stat=,args=', '-p', pids.join(',')], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when none of them exists
  }
  return out
    .trim()
    .split('\n')
    .filter((line) => line.trim() && !/^\s*\d+\s+Z/.test(line))
    .map((line) => line.trim().slice(0, 160));
}

/** The argv of every process below `pid`, as any user of the machine reads it (/proc/<pid>/cmdline). */
export function descendantArgv(pid: number): { pid: number; argv: string[] }[] {
  return argvOf(descendants(pid));
}

/** The argv of `pid` itself and of every process below it. */
export function processArgv(pid: number): { pid: number; argv: string[] }[] {
  return argvOf([pid, ...descendants(pid)]);
}

function argvOf(pids: readonly number[]): { pid: number; argv: string[] }[] {
  return pids.flatMap((child) => {
    try {
      return [{ pid: child, argv: readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').filter(Boolean) }];
    } catch {
      return []; // exited in the meantime
    }
  });
}

/** The capture processes below `pid` (a vigil's, never another's on the same machine). */
export function capturePids(pid: number): number[] {
  return descendants(pid).filter((child) => {
    try {
      return readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('capture-process.js');
    } catch {
      return false; // gone meanwhile
    }
  });
}
