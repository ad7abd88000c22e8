/**
 * `node dist/bench/password-hash.js`: how long one scrypt password check takes at a few parameter sets, alone and
 * four at once (Node's thread pool runs four), to size DEFAULT_SCRYPT. Prints figures; never asserts on timings.
 *
 * Environment: BENCH_ROUNDS (10) checks per set, BENCH_QUIET_MAX_S (30).
 */
import { performance } from 'node:perf_hooks';
import { DEFAULT_SCRYPT, hashPassword, verifyPassword, type ScryptParams } from '@vigil/auth';
import { waitForQuiet } from './proc';
import { figure, fmt, note, percentile } from './report';

const SETS: ScryptParams[] = [
  { N: 2 ** 14, r: 8, p: 1 },
  { N: 2 ** 15, r: 8, p: 1 },
  { N: 2 ** 16, r: 8, p: 1 },
  { N: 2 ** 15, r: 8, p: 2 },
];

async function timed(run: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await run();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS) || 10);
  const quiet = await waitForQuiet([process.pid], 0.15, (Number(process.env.BENCH_QUIET_MAX_S) || 30) * 1000);
  note(`waited ${fmt(quiet.waitedMs / 1000)} s for a quiet machine; others used ${quiet.others === undefined ? 'unknown' : fmt(quiet.others, 2)} cores`);
  for (const params of SETS) {
    const name = `scrypt_N${Math.log2(params.N)}_r${params.r}_p${params.p}${params.N === DEFAULT_SCRYPT.N && params.r === DEFAULT_SCRYPT.r && params.p === DEFAULT_SCRYPT.p ? '_default' : ''}`;
    const stored = await hashPassword('a password of ordinary length', params);
    const alone: number[] = [];
    for (let i = 0; i < rounds; i++) alone.push(await timed(() => verifyPassword('a password of ordinary length', stored)));
    alone.sort((a, b) => a - b);
    figure(`${name}.verify_p50`, percentile(alone, 50), 'ms');
    figure(`${name}.verify_max`, alone.at(-1)!, 'ms');
    const four = await timed(() => Promise.all(Array.from({ length: 4 }, () => verifyPassword('a password of ordinary length', stored))));
    figure(`${name}.four_at_once`, four, 'ms for 4 parallel checks');
    figure(`${name}.memory`, (128 * params.N * params.r) / (1024 * 1024), 'MiB per check', 0);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
