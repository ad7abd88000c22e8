/** Delivered: the full stack (redis-server + vigil) and a Socket.IO client that counts frames. */
import { dirname } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { findRepoFile, spawnManaged, startRedisServer, startVigil, type ManagedChild, type RedisServerHandle, type VigilHandle } from '../scripts/support';
import { percentile } from './report';
import { cpuBetween, machineBusySeconds, procAvailable, sampleTrees, waitForQuiet } from './proc';

export const CAMERA = 'bench';

export interface Stack {
  redis: RedisServerHandle;
  vigil: VigilHandle;
  /** a capture process the bench forked itself (only with a launch override) */
  capture?: ManagedChild;
  /** pids whose trees count as "vigil" CPU */
  roots(): number[];
  stop(): Promise<void>;
}

export interface StackOptions {
  clip: string;
  /**
   * Measure another pipeline end to end without editing the app: the camera is registered
   * disabled (so publish knows it and ingest leaves it alone) and the bench runs the built
   * capture process itself with this launch line, exactly as ingest's supervisor would.
   */
  launch?: string;
  /** extra environment of that capture process (launch override only) */
  captureEnv?: Record<string, string>;
  echo?: boolean;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const item of started.reverse()) await item.stop().catch(() => undefined);
  };
  try {
    const redis = await startRedisServer();
    started.push(redis);
    const vigil = await startVigil({
      redisUrl: redis.url,
      cameras: [{ id: CAMERA, url: options.clip, realtime: false, codec: 'h264', enabled: options.launch === undefined }],
      // the clip's folder (.vigil/bench) is where file sources may be read from
      env: { MEDIA_ROOTS: dirname(options.clip) },
      echo: options.echo,
    });
    started.push(vigil);
    let capture: ManagedChild | undefined;
    if (options.launch !== undefined) {
      const job = {
        camera: CAMERA,
        stream: 'raw',
        launch: options.launch,
        masked: options.launch,
        redisUrl: redis.url,
        seqStart: 0,
        loop: true,
        statsIntervalMs: 1000,
        maxInFlight: 4,
        maxFrameBytes: 8 * 1024 * 1024,
      };
      // no IPC channel: the capture process then only publishes, and is killed by stop(); its job comes on stdin
      const entry = findRepoFile('dist/libs/media/src/capture/capture-process.js');
      capture = spawnManaged('capture', process.execPath, [entry, '--camera', job.camera], {
        echo: options.echo,
        stdin: 'pipe',
        env: { ...(process.env as Record<string, string>), ...options.captureEnv },
      });
      capture.process.stdin?.end(JSON.stringify(job));
      started.push({ stop: () => capture!.stop('SIGKILL') });
    }
    return {
      redis,
      vigil,
      capture,
      roots: () => [vigil.child.process.pid, capture?.process.pid].filter((pid): pid is number => pid !== undefined),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

export interface CameraStatusView {
  state?: string;
  fps?: number;
  decoder?: string;
  frames?: number;
  pipeline?: string;
}

export async function cameraStatus(stack: Stack): Promise<CameraStatusView | undefined> {
  const response = await fetch(`${stack.vigil.url}/api/cameras`);
  const body = (await response.json()) as { id: string; status: CameraStatusView | null }[];
  return body.find((camera) => camera.id === CAMERA)?.status ?? undefined;
}

/** Sum of every sample of a Prometheus counter (all label sets). */
export async function metricSum(stack: { vigil: Pick<VigilHandle, 'url'> }, name: string): Promise<number> {
  const text = await (await fetch(`${stack.vigil.url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
  }
  return sum;
}

export interface DeliveryResult {
  format: 'jpeg' | 'base64';
  frames: number;
  seconds: number;
  fps: number;
  mbPerSecond: number;
  latencyP50: number;
  latencyP99: number;
  latencyMax: number;
  /** frames the client never saw (gaps in seq), over the window */
  seqGaps: number;
  ingestDropped: number;
  publishDropped: number;
  /** CPU seconds per second of the vigil process tree (and the bench's own capture, if any), by role */
  vigilCores?: number;
  cpuByRole?: Map<string, number>;
  redisCores?: number;
  clientCores: number;
  /** cores busy with processes outside this benchmark during the window */
  otherCores?: number;
  /** how long the window waited for the rest of the machine to go quiet */
  quietWaitMs?: number;
  /** capture restarts so far (vigil_ingest_reconnects_total); a crashing capture shows here */
  reconnects?: number;
  statusFps?: number;
  statusState?: string;
  decoder?: string;
}

function once<T>(socket: Socket, event: string, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    socket.once(event, (value: T) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface FrameEvent {
  seq: number;
  ts: number;
  data: Buffer | string;
}

/** Subscribes one client, waits for the first frame, warms up, then counts frames over the window. */
export async function measureDelivery(stack: Stack, format: 'jpeg' | 'base64', warmupMs: number, windowMs: number, quietMaxMs = 0): Promise<DeliveryResult> {
  const socket = io(stack.vigil.url, { transports: ['websocket'], reconnection: false, auth: { token: stack.vigil.adminToken } });
  try {
    await once(socket, 'connect', 10_000);
    let counting = false;
    const latencies: number[] = [];
    let frames = 0;
    let bytes = 0;
    let firstSeq: number | undefined;
    let lastSeq: number | undefined;
    let gotFirst!: () => void;
    const first = new Promise<void>((resolve) => (gotFirst = resolve));
    socket.on('frame', (event: FrameEvent) => {
      const now = Date.now();
      gotFirst();
      if (!counting) return;
      frames += 1;
      bytes += typeof event.data === 'string' ? event.data.length : event.data.length;
      latencies.push(now - event.ts);
      firstSeq ??= event.seq;
      lastSeq = event.seq;
    });
    const ack = await socket.timeout(10_000).emitWithAck('subscribe', { camera: CAMERA, stream: 'raw', format });
    if (!ack || (ack as { ok: boolean }).ok !== true) throw new Error(`subscribe refused: ${JSON.stringify(ack)}`);
    await Promise.race([first, sleep(60_000).then(() => Promise.reject(new Error('no frame within 60 s')))]);
    await sleep(warmupMs);
    const quiet = quietMaxMs > 0 ? await waitForQuiet([...stack.roots(), stack.redis.child.process.pid!], 0.15, quietMaxMs) : undefined;

    const ingest0 = await metricSum(stack, 'vigil_ingest_frames_dropped_total');
    const publish0 = await metricSum(stack, 'vigil_publish_frames_dropped_total');
    const proc = procAvailable();
    const tree0 = proc ? sampleTrees(stack.roots()) : undefined;
    const redis0 = proc ? sampleTrees([stack.redis.child.process.pid!]) : undefined;
    const busy0 = machineBusySeconds();
    const client0 = process.cpuUsage();
    const t0 = performance.now();
    counting = true;
    await sleep(windowMs);
    counting = false;
    const seconds = (performance.now() - t0) / 1000;
    const client = process.cpuUsage(client0);
    const busy1 = machineBusySeconds();
    const tree = tree0 ? cpuBetween(tree0, sampleTrees(stack.roots())) : undefined;
    const redis = redis0 ? cpuBetween(redis0, sampleTrees([stack.redis.child.process.pid!])) : undefined;
    const ingestDropped = (await metricSum(stack, 'vigil_ingest_frames_dropped_total')) - ingest0;
    const publishDropped = (await metricSum(stack, 'vigil_publish_frames_dropped_total')) - publish0;
    const status = await cameraStatus(stack);
    const reconnects = await metricSum(stack, 'vigil_ingest_reconnects_total');

    latencies.sort((a, b) => a - b);
    const span = firstSeq === undefined || lastSeq === undefined ? 0 : lastSeq - firstSeq + 1;
    return {
      format,
      frames,
      seconds,
      fps: frames / seconds,
      mbPerSecond: bytes / seconds / 1e6,
      latencyP50: percentile(latencies, 50),
      latencyP99: percentile(latencies, 99),
      latencyMax: latencies.at(-1) ?? NaN,
      seqGaps: Math.max(0, span - frames),
      ingestDropped,
      publishDropped,
      vigilCores: tree ? tree.total / seconds : undefined,
      cpuByRole: tree ? new Map([...tree.byName].map(([k, v]) => [k, v / seconds])) : undefined,
      redisCores: redis ? redis.total / seconds : undefined,
      clientCores: (client.user + client.system) / 1e6 / seconds,
      otherCores:
        busy0 === undefined || busy1 === undefined || !tree || !redis
          ? undefined
          : Math.max(0, busy1 - busy0 - tree.total - redis.total - (client.user + client.system) / 1e6) / seconds,
      reconnects,
      quietWaitMs: quiet?.waitedMs,
      statusFps: status?.fps,
      statusState: status?.state,
      decoder: status?.decoder,
    };
  } finally {
    socket.disconnect();
  }
}
