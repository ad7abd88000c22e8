/**
 * `node dist/bench/variants.js`: measures edits of the ingest pipeline (decoder threads, queues,
 * jpegenc settings, appsink buffers) the same three ways as run.ts, interleaved round by round so
 * a noisy neighbour hurts every variant alike, and prints the median of each.
 *
 * BENCH_ROUNDS (3), BENCH_VARIANTS (comma list of names; default all; "none"), BENCH_GST=0 skips gst-launch,
 * BENCH_DELIVERED (comma list of names measured end to end through redis + vigil + Socket.IO;
 * default "base,queue"; "app" is the unmodified app; a "+nomemtrack" suffix runs that capture with
 * OPENCV4NODEJS_DISABLE_EXTERNAL_MEM_TRACKING=1; "none" skips), BENCH_WINDOW_S (10),
 * BENCH_WARMUP_S (3), BENCH_QUIET_MAX_S (30: longest wait for a quiet machine before each run).
 */
import { benchClip } from './clip';
import { measureDelivery, startStack } from './delivered';
import { gstLaunch, opencvLoop } from './limit';
import { edit, ingestLaunch, insertAfter, insertBefore, remove, setProps, toFakesink, type Edit } from './pipeline';
import { figure, fmt, note } from './report';
import { loadAverage, waitForQuiet } from './proc';

const QUEUE = 'queue max-size-buffers=3 max-size-bytes=0 max-size-time=0';

const VARIANTS: Record<string, Edit[]> = {
  base: [],
  'dec-threads-1': [setProps('avdec_h264', { 'max-threads': 1 })],
  'dec-threads-2': [setProps('avdec_h264', { 'max-threads': 2 })],
  'dec-threads-3': [setProps('avdec_h264', { 'max-threads': 3 })],
  'dec-threads-4': [setProps('avdec_h264', { 'max-threads': 4 })],
  'dec-thread-type-slice': [setProps('avdec_h264', { 'thread-type': 'slice' })],
  'no-videoconvert': [remove('videoconvert')],
  'videoconvert-n-threads-2': [setProps('videoconvert', { 'n-threads': 2 })],
  'jpegenc-idct-islow': [setProps('jpegenc', { 'idct-method': 'islow' })],
  'jpegenc-idct-float': [setProps('jpegenc', { 'idct-method': 'float' })],
  'appsink-max-buffers-1': [setProps('appsink', { 'max-buffers': 1 })],
  'appsink-max-buffers-8': [setProps('appsink', { 'max-buffers': 8 })],
  queue: [insertAfter('videoconvert', QUEUE)],
  'queue-after-dec': [insertAfter('avdec_h264', QUEUE)],
  'queue-before-appsink': [insertBefore('appsink', QUEUE)],
  'queue-both': [insertAfter('videoconvert', QUEUE), insertBefore('appsink', QUEUE)],
  'queue-dec-threads-2': [insertAfter('videoconvert', QUEUE), setProps('avdec_h264', { 'max-threads': 2 })],
  'queue-dec-threads-1': [insertAfter('videoconvert', QUEUE), setProps('avdec_h264', { 'max-threads': 1 })],
  'queue-appsink-8': [insertAfter('videoconvert', QUEUE), setProps('appsink', { 'max-buffers': 8 })],
  // not the same output (smaller, lower-quality JPEGs): for context only
  'context-quality-70': [setProps('jpegenc', { quality: 70 })],
};

function env(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : value;
}

function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Samples {
  cvFps: number[];
  cvCpu: number[];
  cvCores: number[];
  cvOthers: number[];
  gstFps: number[];
  gstCpu: number[];
  gstCores: number[];
}

async function main(): Promise<void> {
  const rounds = Number(env('BENCH_ROUNDS', '3'));
  const names = env('BENCH_VARIANTS', Object.keys(VARIANTS).join(','))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s && s !== 'none');
  for (const name of names) if (!VARIANTS[name]) throw new Error(`unknown variant ${name} (one of ${Object.keys(VARIANTS).join(', ')})`);
  const withGst = env('BENCH_GST', '1') !== '0';
  const deliveredNames = env('BENCH_DELIVERED', 'base,queue') === 'none' ? [] : env('BENCH_DELIVERED', 'base,queue').split(',').map((s) => s.trim());
  for (const name of deliveredNames) {
    const [variant = '', flag] = name.split('+');
    if ((variant !== 'app' && !VARIANTS[variant]) || (flag !== undefined && flag !== 'nomemtrack')) throw new Error(`unknown delivered variant ${name}`);
  }
  const windowMs = Number(env('BENCH_WINDOW_S', '10')) * 1000;
  const warmupMs = Number(env('BENCH_WARMUP_S', '3')) * 1000;
  const quietMaxMs = Number(env('BENCH_QUIET_MAX_S', '30')) * 1000;

  const clip = await benchClip();
  const frames = clip.info.frames ?? 600;
  const base = ingestLaunch(clip.path);
  const launches = new Map(names.map((name) => [name, edit(base, ...VARIANTS[name]!)]));
  const samples = new Map<string, Samples>(names.map((n) => [n, { cvFps: [], cvCpu: [], cvCores: [], cvOthers: [], gstFps: [], gstCpu: [], gstCores: [] }]));
  note(`load average before: ${loadAverage() ?? '?'}`);

  for (let round = 1; round <= rounds; round++) {
    for (const name of names) {
      const launch = launches.get(name)!;
      const s = samples.get(name)!;
      await waitForQuiet([], 0.15, quietMaxMs);
      try {
        const loop = await opencvLoop(launch);
        s.cvFps.push(loop.fps);
        s.cvCpu.push(loop.cpuMsPerFrame);
        s.cvCores.push(loop.cores);
        s.cvOthers.push(loop.otherCores ?? NaN);
        note(`round ${round} ${name}: opencv ${fmt(loop.fps)} fps ${fmt(loop.cpuMsPerFrame, 2)} ms/frame ${fmt(loop.cores, 2)} cores (others ${fmt(loop.otherCores ?? NaN, 2)})`);
      } catch (error) {
        note(`round ${round} ${name}: opencv failed: ${(error as Error).message}`);
      }
      if (withGst) {
        await waitForQuiet([], 0.15, quietMaxMs);
        try {
          const gst = await gstLaunch(toFakesink(launch), frames);
          s.gstFps.push(gst.fps);
          s.gstCpu.push(gst.cpuMsPerFrame);
          s.gstCores.push(gst.cores);
        } catch (error) {
          note(`round ${round} ${name}: gst-launch failed: ${(error as Error).message.slice(0, 300)}`);
        }
      }
    }
  }

  for (const name of names) {
    const s = samples.get(name)!;
    note(`${name}: ${launches.get(name)}`);
    figure(`variant.${name}.opencv_loop.fps`, median(s.cvFps), `frames/s (median of ${s.cvFps.length}: ${s.cvFps.map((v) => fmt(v, 0)).join(' ')})`);
    figure(`variant.${name}.opencv_loop.cpu`, median(s.cvCpu), `ms CPU/frame, ${fmt(median(s.cvCores), 2)} cores, others ${fmt(median(s.cvOthers), 2)} cores`, 2);
    if (withGst) figure(`variant.${name}.gst_launch.fps`, median(s.gstFps), `frames/s, ${fmt(median(s.gstCpu), 2)} ms CPU/frame, ${fmt(median(s.gstCores), 2)} cores`);
  }

  // end to end, through the built capture process with the variant's launch line
  const delivered = new Map<string, number[]>();
  for (let round = 1; round <= Math.min(rounds, 2); round++) {
    for (const name of deliveredNames) {
      // "<variant>+nomemtrack": the same with opencv4nodejs' external memory tracking off in the capture
      const [variant = 'base', flag] = name.split('+');
      const launch = variant === 'app' ? undefined : edit(base, ...(VARIANTS[variant] ?? []));
      const captureEnv: Record<string, string> = flag === 'nomemtrack' ? { OPENCV4NODEJS_DISABLE_EXTERNAL_MEM_TRACKING: '1' } : {};
      const stack = await startStack({ clip: clip.path, launch, captureEnv });
      try {
        const r = await measureDelivery(stack, 'jpeg', warmupMs, windowMs, quietMaxMs);
        const list = delivered.get(name) ?? [];
        list.push(r.fps);
        delivered.set(name, list);
        const roles = [...(r.cpuByRole ?? [])].filter(([, v]) => v >= 0.005).map(([k, v]) => `${k} ${fmt(v, 2)}`).join(', ');
        figure(
          `variant.${name}.delivered.round${round}.fps`,
          r.fps,
          `frames/s, p50 ${fmt(r.latencyP50, 0)} ms, p99 ${fmt(r.latencyP99, 0)} ms, gaps ${r.seqGaps}, ` +
            `vigil ${fmt(r.vigilCores ?? NaN, 2)} cores (${roles}), ${fmt(((r.vigilCores ?? NaN) * 1000) / r.fps, 2)} ms/frame, ` +
            `client ${fmt(r.clientCores, 2)}, others ${fmt(r.otherCores ?? NaN, 2)} cores`,
        );
      } finally {
        await stack.stop();
      }
    }
  }
  for (const [name, list] of delivered) figure(`variant.${name}.delivered.fps`, median(list), `frames/s (median of ${list.length})`);
  note(`load average after: ${loadAverage() ?? '?'}`);
}

main()
  .catch((error: Error) => {
    console.error(error.stack ?? error);
    process.exitCode = 1;
  })
  .finally(() => setTimeout(() => process.exit(), 100).unref());
