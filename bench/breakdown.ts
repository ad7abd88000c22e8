/**
 * `node dist/bench/breakdown.js`: where the CPU per frame goes, stage by stage, for the ingest
 * pipeline and for the same with a queue between decode and encode:
 *   gst decode only -> gst decode + JPEG (fakesink) -> OpenCV loop -> OpenCV loop + Redis publish
 * (the capture process's work without the supervisor), interleaved over BENCH_ROUNDS (3) rounds.
 * The full path (vigil + Socket.IO) is in run.ts / variants.ts.
 */
import Redis from 'ioredis';
import { FramePublisher } from '../libs/redis/src/frame-publisher';
import { jpegSize } from '../libs/contracts/src/jpeg-size';
import { OpenCvCapture } from '../libs/media/src/capture/opencv-capture';
import { startRedisServer, type RedisServerHandle } from '../scripts/support';
import { benchClip } from './clip';
import { gstLaunch, opencvLoop } from './limit';
import { edit, ingestLaunch, insertAfter, remove, toFakesink } from './pipeline';
import { cpuBetween, sampleTrees, waitForQuiet } from './proc';
import { figure, fmt, note } from './report';

const QUEUE = 'queue max-size-buffers=3 max-size-bytes=0 max-size-time=0';

interface Sample {
  fps: number;
  msPerFrame: number;
  cores: number;
}

/** The capture process's loop (read, size, publish) in this process, against a real redis-server. */
async function publishLoop(launch: string, redis: RedisServerHandle): Promise<Sample> {
  const client = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  await new Promise<void>((resolve) => client.once('ready', () => resolve()));
  const publisher = new FramePublisher(client, { maxInFlight: 4 });
  const capture = OpenCvCapture.open(launch);
  try {
    if (!(await capture.readJpeg())) throw new Error('no first frame');
    const redisPid = redis.child.process.pid!;
    const tree0 = sampleTrees([redisPid]);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let frames = 0;
    let dropped = 0;
    let seq = 0;
    for (;;) {
      const jpeg = await capture.readJpeg();
      if (!jpeg) break;
      const size = jpegSize(jpeg)!;
      const outcome = publisher.publish({ camera: 'bench', stream: 'raw', seq: seq++, ts: Date.now(), width: size.width, height: size.height, format: 'jpeg', data: jpeg });
      if (outcome === 'sent') frames += 1;
      else dropped += 1;
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const redisCpu = cpuBetween(tree0, sampleTrees([redisPid])).total;
    const total = (cpu.user + cpu.system) / 1e6 + redisCpu;
    if (dropped) note(`publish loop dropped ${dropped} frames (more than 4 publishes in flight)`);
    return { fps: (frames + dropped) / seconds, msPerFrame: (total * 1000) / (frames + dropped), cores: total / seconds };
  } finally {
    capture.close();
    await client.quit().catch(() => undefined);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS) || 3;
  const clip = await benchClip();
  const frames = clip.info.frames ?? 600;
  const base = ingestLaunch(clip.path);
  const pipelines: Record<string, string> = { base, queue: edit(base, insertAfter('videoconvert', QUEUE)) };
  const redis = await startRedisServer();
  const results = new Map<string, Sample[]>();
  const add = (name: string, sample: Sample): void => {
    results.set(name, [...(results.get(name) ?? []), sample]);
    note(`${name}: ${fmt(sample.fps)} fps, ${fmt(sample.msPerFrame, 2)} ms CPU/frame, ${fmt(sample.cores, 2)} cores`);
  };
  try {
    for (let round = 1; round <= rounds; round++) {
      note(`round ${round}`);
      const decodeOnly = edit(toFakesink(base), remove('videoconvert'), remove('jpegenc'));
      await waitForQuiet([redis.child.process.pid!], 0.15, 30_000);
      const d = await gstLaunch(decodeOnly, frames);
      add('gst.decode_only', { fps: d.fps, msPerFrame: d.cpuMsPerFrame, cores: d.cores });
      for (const [name, launch] of Object.entries(pipelines)) {
        await waitForQuiet([redis.child.process.pid!], 0.15, 30_000);
        const g = await gstLaunch(toFakesink(launch), frames);
        add(`${name}.gst.decode_jpeg`, { fps: g.fps, msPerFrame: g.cpuMsPerFrame, cores: g.cores });
        await waitForQuiet([redis.child.process.pid!], 0.15, 30_000);
        const o = await opencvLoop(launch);
        add(`${name}.opencv_loop`, { fps: o.fps, msPerFrame: o.cpuMsPerFrame, cores: o.cores });
        await waitForQuiet([redis.child.process.pid!], 0.15, 30_000);
        add(`${name}.opencv_loop_redis_publish`, await publishLoop(launch, redis));
      }
    }
  } finally {
    await redis.stop();
  }
  for (const [name, samples] of results) {
    figure(
      `breakdown.${name}`,
      median(samples.map((s) => s.msPerFrame)),
      `ms CPU/frame, ${fmt(median(samples.map((s) => s.fps)))} frames/s, ${fmt(median(samples.map((s) => s.cores)), 2)} cores (median of ${samples.length})`,
      2,
    );
  }
}

main()
  .catch((error: Error) => {
    console.error(error.stack ?? error);
    process.exitCode = 1;
  })
  .finally(() => setTimeout(() => process.exit(), 100).unref());
