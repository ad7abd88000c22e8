/**
 * Entry point of a capture process: the cameras the supervisor gives it, each its own GStreamer pipeline and read
 * loop (CameraCapture), frames straight to Redis over one shared connection. Forked by CaptureHost; jobs come over
 * IPC (never argv, where anyone could read a camera's credentials) and every report names its camera.
 *
 * One camera's trouble stays its own: a pipeline error or an end of stream ends that camera's loop only. What no
 * loop can contain (a crash in native code, a read that never returns) is the supervisor's to handle: it restarts
 * the process's cameras and keeps the suspects apart (capture-pool.ts).
 */
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type Redis from 'ioredis';
import { FramePublisher } from '@vigil/redis/frame-publisher';
import { createRedisClient } from '@vigil/redis/redis-options';
import { CameraCapture } from './camera-capture';
import { takeCapturePriority } from './capture-priority';
import type { CameraEvent, CaptureJob, CaptureMessage, SupervisorMessage } from './messages';

// before any pool or pipeline thread starts: they inherit it
takeCapturePriority();

/** how long the first camera waits for Redis before it reads frames anyway (a Redis that is down drops them, counted) */
const REDIS_READY_WAIT_MS = 2000;

const cameras = new Map<string, CameraCapture>();
let redis: Redis | undefined;
let marker: string | undefined;
/** cameras given up on: their reads may still hold pool threads */
let abandoned = 0;

function send(message: CaptureMessage): void {
  if (process.connected) process.send?.(message);
}

function connect(url: string): Redis {
  if (redis) return redis;
  redis = createRedisClient(url, 'capture', { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined); // counted as drops; the supervisor logs Redis trouble once
  return redis;
}

/** Stderr lines written during `work` (OpenCV and GStreamer write there synchronously) belong to `camera`. */
function claimStderr<T>(camera: string, work: () => T): T {
  if (marker === undefined) return work();
  process.stderr.write(`${marker} ${camera}\n`);
  try {
    return work();
  } finally {
    process.stderr.write(`${marker} -\n`);
  }
}

async function start(job: CaptureJob, onEnd: () => void = () => undefined): Promise<void> {
  const report = (event: CameraEvent): void => send({ ...event, camera: job.camera });
  if (cameras.has(job.camera)) {
    report({ type: 'ended', reason: 'error', message: 'this camera is already captured here', stats: { frames: 0, dropped: 0, oversized: 0, bytes: 0, lastSeq: job.seqStart - 1 } });
    return;
  }
  const client = connect(job.redisUrl);
  const publisher = new FramePublisher(client, { maxInFlight: job.maxInFlight, maxBytes: job.maxFrameBytes });
  const capture = new CameraCapture(job, { publisher, report, claimStderr: (work) => claimStderr(job.camera, work) });
  cameras.set(job.camera, capture);
  // the first frames would otherwise be dropped while the connection is made (there is no offline queue)
  if (client.status !== 'ready') await Promise.race([once(client, 'ready'), delay(REDIS_READY_WAIT_MS)]);
  await capture.run();
  if (cameras.get(job.camera) === capture) cameras.delete(job.camera);
  onEnd();
}

async function exit(): Promise<void> {
  for (const capture of cameras.values()) capture.stop();
  await redis?.quit().catch(() => undefined);
  leave();
}

/**
 * Exits. Node joins libuv's pool threads at exit, and an abandoned read holds one for ever: with any abandoned,
 * the process ends itself by SIGKILL, which needs no thread to finish.
 */
function leave(): never {
  if (abandoned > 0) process.kill(process.pid, 'SIGKILL');
  process.exit(0);
}

process.on('message', (message: SupervisorMessage) => {
  switch (message.type) {
    case 'hello':
      marker ??= message.marker;
      break;
    case 'job':
      void start(message.job);
      break;
    case 'stop':
      cameras.get(message.camera)?.stop();
      break;
    case 'abandon':
      cameras.get(message.camera)?.abandon();
      if (cameras.delete(message.camera)) abandoned += 1;
      break;
    case 'exit':
      void exit();
      break;
  }
});
if (!process.send) {
  // no IPC channel (a benchmark runs it alone): one job as JSON on stdin, and the process ends with it
  const chunks: Buffer[] = [];
  process.stdin
    .on('data', (chunk: Buffer) => chunks.push(chunk))
    .on('end', () => void start(JSON.parse(Buffer.concat(chunks).toString('utf8')) as CaptureJob, () => void exit()));
}
// the supervisor died or dropped us: nothing would read our cameras' counters any more
process.on('disconnect', () => leave());
