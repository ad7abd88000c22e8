/**
 * Entry point of a capture process: one camera, one GStreamer pipeline, frames straight to Redis.
 * Forked by CaptureProcessHandle; its CaptureJob comes as the first IPC message (never in argv, where anyone could
 * read the camera's credentials); reports over IPC.
 */
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { jpegSize, maskText } from '@vigil/contracts';
import { FramePublisher } from '@vigil/redis/frame-publisher';
import { createRedisClient } from '@vigil/redis/redis-options';
import type { CaptureJob, CaptureMessage, CaptureStats, SupervisorMessage } from './messages';
import { OpenCvCapture } from './opencv-capture';
import { SeqBlocks } from './seq-blocks';

/** about 10 s of frames at 25 fps: one IPC message per block, and at most this many numbers skipped at a restart */
const SEQ_BLOCK = 256;
/** a lone oversized frame (a burst of detail) is dropped; this many in a row mean the camera's settings are too big */
const OVERSIZED_IN_A_ROW = 10;
/** how long the capture waits for Redis before it reads frames anyway (a Redis that is down drops them, counted) */
const REDIS_READY_WAIT_MS = 2000;

let job: CaptureJob;
let stats: CaptureStats = { frames: 0, dropped: 0, oversized: 0, bytes: 0, lastSeq: -1 };
let stopping = false;

function send(message: CaptureMessage): void {
  if (process.connected) process.send?.(message);
}

/** `own`: the capture itself decided to end, so its message is the reason (not a GStreamer line on stderr). */
function end(reason: 'eos' | 'error', message: string, own = false): never {
  send({ type: 'ended', reason, message: maskText(message), stats, ...(own ? { own } : {}) });
  process.exit(0);
}

function start(received: CaptureJob): void {
  if (job !== undefined) return;
  job = received;
  stats = { frames: 0, dropped: 0, oversized: 0, bytes: 0, lastSeq: job.seqStart - 1 };
  main().catch((error: Error) => end('error', error.message));
}

process.on('message', (message: SupervisorMessage) => {
  if (message.type === 'stop') stopping = true;
  else if (message.type === 'job') start(message.job);
});
if (!process.send) {
  // no IPC channel (a benchmark runs it alone): the job comes as JSON on stdin
  const chunks: Buffer[] = [];
  process.stdin.on('data', (chunk: Buffer) => chunks.push(chunk)).on('end', () => start(JSON.parse(Buffer.concat(chunks).toString('utf8')) as CaptureJob));
}
// the supervisor died or dropped us: nothing would read our frames' counters any more
process.on('disconnect', () => process.exit(0));

async function main(): Promise<void> {
  const redis = createRedisClient(job.redisUrl, `capture:${job.camera}`, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined); // counted as drops; the supervisor logs Redis trouble once
  const publisher = new FramePublisher(redis, { maxInFlight: job.maxInFlight, maxBytes: job.maxFrameBytes });
  let oversizedInARow = 0;
  setInterval(() => send({ type: 'stats', stats }), job.statsIntervalMs).unref();
  // the first frames would otherwise be dropped while the connection is made (there is no offline queue)
  await Promise.race([once(redis, 'ready'), delay(REDIS_READY_WAIT_MS)]);

  let capture = openCapture();
  const seqs = new SeqBlocks(job.seqStart, SEQ_BLOCK, (until) => send({ type: 'seqs', until }));
  while (!stopping) {
    const jpeg = await capture.readJpeg();
    if (!jpeg) {
      capture.close();
      if (!job.loop || stopping) end('eos', 'end of stream');
      if (stats.lastFrameAt === undefined) end('error', 'the source ended before its first frame');
      capture = openCapture();
      send({ type: 'looped' });
      continue;
    }
    const ts = Date.now();
    const size = jpegSize(jpeg);
    if (!size) {
      stats.dropped += 1;
      continue;
    }
    const seq = seqs.take();
    const outcome = publisher.publish({ camera: job.camera, stream: job.stream, seq, ts, width: size.width, height: size.height, format: 'jpeg', data: jpeg });
    if (outcome === 'sent') {
      stats.frames += 1;
      stats.bytes += jpeg.length;
      oversizedInARow = 0;
    } else if (outcome === 'too_large') {
      stats.oversized += 1;
      oversizedInARow += 1;
      if (oversizedInARow >= OVERSIZED_IN_A_ROW) {
        end('error', `its JPEG frames (${jpeg.length} bytes, ${size.width}x${size.height}) are larger than FRAME_MAX_BYTES (${job.maxFrameBytes}): lower its width, height or jpegQuality`, true);
      }
      // not progress: the supervisor must not show as live a camera whose every frame is refused
      stats.lastSeq = seq;
      continue;
    } else {
      stats.dropped += 1;
    }
    stats.lastSeq = seq;
    stats.lastFrameAt = ts;
    stats.width = size.width;
    stats.height = size.height;
  }
  capture.close();
  send({ type: 'stats', stats });
  await redis.quit().catch(() => undefined);
  process.exit(0);
}

function openCapture(): OpenCvCapture {
  const started = Date.now();
  try {
    const capture = OpenCvCapture.open(job.launch);
    send({ type: 'opened', openMs: Date.now() - started });
    return capture;
  } catch (error) {
    end('error', `cannot open the pipeline: ${(error as Error).message}`);
  }
}

