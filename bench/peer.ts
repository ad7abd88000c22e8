/**
 * The peer: seed 003's Python loop (bench/peer/seed003.py: cv2 read -> imencode -> base64 -> redis publish -> a
 * subscriber), run on the same clip at the same JPEG quality as vigil, so `npm run bench` shows vigil next to the
 * scripts it replaces. Needs Debian's python3-opencv and python3-redis (setup --with-bench-tools installs them).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { findRepoFile, spawnManaged, startRedisServer, waitForLine } from '../scripts/support';
import { cpuBetween, procAvailable, sampleTrees } from './proc';

export interface PeerResult {
  fps: number;
  frames: number;
  seconds: number;
  /** CPU of the peer's processes and its redis-server over the window, per frame received */
  cpuMsPerFrame?: number;
  cores?: number;
  opencv: string;
}

const SYSTEM_PYTHON = process.env.VIGIL_SYSTEM_PYTHON ?? '/usr/bin/python3';

/** Why the peer cannot run here, or undefined when it can. */
export function peerUnavailable(): string | undefined {
  if (!existsSync(SYSTEM_PYTHON)) return `${SYSTEM_PYTHON} is missing`;
  const probe = spawnSync(SYSTEM_PYTHON, ['-c', 'import cv2, redis'], { encoding: 'utf8' });
  if (probe.status !== 0) return `python3-opencv and python3-redis are not installed (node scripts/setup.mjs --with-bench-tools): ${probe.stderr.trim().split('\n').pop() ?? ''}`;
  return undefined;
}

export async function runPeer(options: { clip: string; quality: number; windowS: number; warmupS: number; echo?: boolean }): Promise<PeerResult> {
  const redis = await startRedisServer();
  try {
    const script = findRepoFile('bench/peer/seed003.py');
    const args = [script, '--clip', options.clip, '--redis-port', String(redis.port), '--quality', String(options.quality), '--seconds', String(options.windowS), '--warmup', String(options.warmupS)];
    const child = spawnManaged('peer-seed003', SYSTEM_PYTHON, args, { echo: options.echo });
    const roots = (): number[] => [child.process.pid, redis.child.process.pid].filter((pid): pid is number => pid !== undefined);
    const timeout = (options.warmupS + options.windowS + 60) * 1000;
    await waitForLine(child, /^WINDOW_START$/, timeout);
    const before = procAvailable() ? sampleTrees(roots()) : undefined;
    await waitForLine(child, /^WINDOW_END$/, timeout);
    const after = procAvailable() ? sampleTrees(roots()) : undefined;
    const line = await waitForLine(child, /^\{.*\}$/, 30_000);
    const result = JSON.parse(line) as { frames: number; seconds: number; fps: number; opencv: string; error?: string };
    if (result.error) throw new Error(result.error);
    const cpu = before && after ? cpuBetween(before, after).total : undefined;
    return {
      fps: result.fps,
      frames: result.frames,
      seconds: result.seconds,
      opencv: result.opencv,
      ...(cpu !== undefined && result.frames > 0 ? { cpuMsPerFrame: (cpu * 1000) / result.frames, cores: cpu / result.seconds } : {}),
    };
  } finally {
    await redis.stop();
  }
}
