/**
 * `npm run bench:soak`: growth over time. A running vigil (the all-in-one process on a real redis-server) has
 * cameras added and removed through its REST API every few seconds, each with motion detection and an intrusion
 * rule, so captures start and stop, alarms are raised and their clips encoded. Every few seconds it samples Redis's
 * used_memory, the RSS and open file descriptors of the vigil process tree, and prints a table at the end: start,
 * end, max and the slope. Not in CI; asserts nothing: flat is what the figures should show.
 *
 * Flags: --minutes N (30), --sample-seconds N (10), --churn-seconds N (3: one camera added, the oldest removed),
 * --cameras N (3: how many are live at once), --warmup-seconds N (60: samples before it, while the first cameras
 * start, are printed but left out of the table), --echo (mirror vigil's log).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import type { CameraInput } from '@vigil/contracts';
import { startRedisServer, startVigil } from '../scripts/support';
import { sendJson } from '../test/support/api';
import { descendants } from '../test/support/process-tree';
import { figure, fmt, note } from './report';

interface Sample {
  atS: number;
  redisBytes: number;
  rssBytes: number;
  fds: number;
  processes: number;
}

const WHOLE_FRAME = { id: 'all', polygon: [[0, 0], [1, 0], [1, 1], [0, 1]] as [number, number][] };

function camera(id: string): CameraInput {
  return {
    id,
    url: 'test://ball',
    width: 160,
    height: 90,
    fps: 5,
    detect: { detector: 'motion', zones: [WHOLE_FRAME], rules: [{ id: 'intrusion', kind: 'intrusion', classes: ['motion'], zone: 'all' }] },
  };
}

/** RSS (bytes) and open fds of `root` and every process below it, from /proc; a process gone meanwhile is skipped. */
function tree(root: number): { rssBytes: number; fds: number; processes: number } {
  let rssBytes = 0;
  let fds = 0;
  let processes = 0;
  for (const pid of [root, ...descendants(root)]) {
    try {
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      fds += readdirSync(`/proc/${pid}/fd`).length;
      rssBytes += Number(rss ?? 0) * 1024;
      processes += 1;
    } catch {
      // exited between the listing and the read
    }
  }
  return { rssBytes, fds, processes };
}

/** The `count` keys that take the most memory, as `key: bytes (type, length)`. */
async function biggestKeys(redis: Redis, count: number): Promise<string[]> {
  const sized: { key: string; bytes: number }[] = [];
  for await (const keys of redis.scanStream({ count: 500 }) as AsyncIterable<string[]>) {
    for (const key of keys) sized.push({ key, bytes: Number(await redis.memory('USAGE', key)) || 0 });
  }
  sized.sort((a, b) => b.bytes - a.bytes);
  return Promise.all(sized.slice(0, count).map(async ({ key, bytes }) => `${key}: ${fmt(bytes / 1024)} KiB (${await redis.type(key)})`));
}

/** Least-squares slope of `values` over `times`, per hour. */
function slopePerHour(times: readonly number[], values: readonly number[]): number {
  const n = times.length;
  if (n < 2) return NaN;
  const meanT = times.reduce((a, b) => a + b, 0) / n;
  const meanV = values.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (times[i]! - meanT) * (values[i]! - meanV);
    den += (times[i]! - meanT) ** 2;
  }
  return den === 0 ? NaN : (num / den) * 3600;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '30' },
      'sample-seconds': { type: 'string', default: '10' },
      'churn-seconds': { type: 'string', default: '3' },
      cameras: { type: 'string', default: '3' },
      'warmup-seconds': { type: 'string', default: '60' },
      echo: { type: 'boolean', default: false },
    },
  });
  const minutes = Number(values.minutes);
  const sampleMs = Number(values['sample-seconds']) * 1000;
  const churnMs = Number(values['churn-seconds']) * 1000;
  const live = Number(values.cameras);
  const warmupS = Number(values['warmup-seconds']);
  for (const [name, value] of Object.entries({ minutes, sampleMs, churnMs, live })) {
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name}: a number > 0, got ${value}`);
  }

  const redis = await startRedisServer();
  const probe = new Redis(redis.url);
  const vigil = await startVigil({ redisUrl: redis.url, echo: values.echo, env: { ALARM_QUIET_SECONDS: '1', ALARM_PRE_SECONDS: '1', ALARM_POST_SECONDS: '1', ALARM_COOLDOWN_SECONDS: '0' } });
  const root = vigil.child.process.pid!;
  const samples: Sample[] = [];
  const started = Date.now();
  let added = 0;
  let removed = 0;
  let refused = 0;
  const current: string[] = [];
  let biggest: string[] = [];
  try {
    note(`soak: ${minutes} min, a camera added and the oldest removed every ${churnMs / 1000} s (${live} live), samples every ${sampleMs / 1000} s`);
    const sample = async (): Promise<void> => {
      const memory = /used_memory:(\d+)/.exec(await probe.info('memory'))?.[1];
      samples.push({ atS: (Date.now() - started) / 1000, redisBytes: Number(memory), ...tree(root) });
    };
    await sample();
    let nextSample = Date.now() + sampleMs;
    let n = 0;
    while (Date.now() - started < minutes * 60_000) {
      const id = `soak-${(n++).toString(36)}`;
      const post = await sendJson('POST', `${vigil.url}/api/cameras`, camera(id));
      if (post.status < 300) {
        current.push(id);
        added += 1;
      } else refused += 1;
      while (current.length > live) {
        const gone = current.shift()!;
        if ((await sendJson('DELETE', `${vigil.url}/api/cameras/${gone}`)).status < 300) removed += 1;
        else refused += 1;
      }
      if (Date.now() >= nextSample) {
        await sample();
        nextSample += sampleMs;
      }
      await new Promise((resolve) => setTimeout(resolve, churnMs));
    }
    await sample();
    biggest = await biggestKeys(probe, 8);
    for (const gone of current.splice(0)) if ((await sendJson('DELETE', `${vigil.url}/api/cameras/${gone}`)).status < 300) removed += 1;
  } finally {
    await vigil.stop();
    await probe.quit();
    await redis.stop();
  }

  const alarmsNote = `cameras added ${added}, removed ${removed}, requests refused ${refused}`;
  const rows: [string, keyof Sample, number, string][] = [
    ['Redis used_memory', 'redisBytes', 1024 * 1024, 'MiB'],
    ['vigil tree RSS', 'rssBytes', 1024 * 1024, 'MiB'],
    ['vigil tree open fds', 'fds', 1, 'fds'],
    ['vigil tree processes', 'processes', 1, 'processes'],
  ];
  const mib = (bytes: number): string => fmt(bytes / 1024 / 1024);
  note(`samples (s: Redis MiB, RSS MiB, fds, processes): ${samples.map((s) => `${fmt(s.atS, 0)}: ${mib(s.redisBytes)}, ${mib(s.rssBytes)}, ${s.fds}, ${s.processes}`).join('; ')}`);
  const steady = samples.filter((s) => s.atS >= warmupS);
  if (steady.length < 2) throw new Error(`fewer than 2 samples after the ${warmupS} s warm-up: run longer`);
  const times = steady.map((s) => s.atS);
  console.log('');
  console.log(`steady state, from ${fmt(steady[0]!.atS, 0)} s to ${fmt(steady.at(-1)!.atS, 0)} s (${live} cameras live at each sample):`);
  console.log('| figure | start | end | max | slope per hour |');
  console.log('|---|---|---|---|---|');
  for (const [label, key, scale, unit] of rows) {
    const series = steady.map((s) => s[key] / scale);
    const slope = slopePerHour(times, series);
    console.log(`| ${label} (${unit}) | ${fmt(series[0]!)} | ${fmt(series.at(-1)!)} | ${fmt(Math.max(...series))} | ${fmt(slope)} |`);
    figure(`soak.${key}.slope_per_hour`, slope, `${unit}/h`);
  }
  note(`Redis's biggest keys at the end (where growth would be): ${biggest.join(', ')}`);
  note(`${samples.length} samples over ${fmt((Date.now() - started) / 60_000)} min; ${alarmsNote}`);
}

void main().catch((error: Error) => {
  console.error(error);
  process.exitCode = 1;
});
