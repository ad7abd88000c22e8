import type { Logger } from '@nestjs/common';
import { describeRefusal, type SourcePolicy, type VigilConfig } from '@vigil/config';
import { maskCredentials, maskerFor, type CameraConfig, type CameraState, type CameraStatus } from '@vigil/contracts';
import { backoffDelay, CaptureProcessHandle, type CaptureJob, type CaptureStats, type PipelinePlanner, type PlannedPipeline } from '@vigil/media';
import type { CameraRegistry } from '@vigil/redis';
import { FpsMeter } from './fps-meter';
import type { IngestMetrics } from './ingest-metrics';

export interface CameraRunnerDeps {
  planner: PipelinePlanner;
  /** checked before every capture start: the record may have been written straight into Redis, a name may move */
  policy: SourcePolicy;
  registry: CameraRegistry;
  metrics: IngestMetrics;
  config: VigilConfig;
  logger: Logger;
  /** starts a capture process; tests may replace it */
  startCapture?: (job: CaptureJob) => CaptureProcessHandle;
}

const STATUS_INTERVAL_MS = 1000;
const STATS_INTERVAL_MS = 250;

/**
 * Keeps one camera captured: plans its pipeline, runs its capture process, watches it, and
 * restarts it with capped exponential backoff when it fails, ends or stalls. A camera's
 * trouble stays with that camera: every failure becomes a state with a reason.
 */
export class CameraRunner {
  private state: CameraState = 'connecting';
  private reason?: string;
  private since = Date.now();
  private capture?: CaptureProcessHandle;
  private plan?: PlannedPipeline;
  /** the plan's masked pipeline, masked again here: it still holds query tokens and path secrets of the URL */
  private pipeline?: string;
  private attempt = 0;
  private reconnects = 0;
  private nextSeq = 0;
  private frames = 0;
  private processCounts = { frames: 0, dropped: 0, oversized: 0 };
  private lastFrameAt?: number;
  private lastProgressAt = 0;
  private size?: { width: number; height: number };
  private stallReason?: string;
  /** the last failure logged as a warning; repeats of it go to debug so a dead camera does not flood the log */
  private lastWarning?: string;
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;
  private readonly ticker: NodeJS.Timeout;
  private readonly fps = new FpsMeter();
  /** GStreamer's and ffprobe's errors can echo the camera URL, or its password alone */
  private readonly mask: (text: string) => string;

  constructor(
    readonly camera: CameraConfig,
    private readonly deps: CameraRunnerDeps,
  ) {
    this.mask = maskerFor(camera.url);
    this.ticker = setInterval(() => this.tick(), Math.min(STATUS_INTERVAL_MS, deps.config.watchdogMs / 4));
    this.ticker.unref();
  }

  start(): void {
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.ticker);
    clearTimeout(this.retryTimer);
    const capture = this.capture;
    this.capture = undefined;
    await capture?.stop();
  }

  status(): CameraStatus {
    return {
      id: this.camera.id,
      state: this.state,
      reason: this.reason,
      decoder: this.plan?.decoder,
      pipeline: this.pipeline,
      width: this.size?.width,
      height: this.size?.height,
      frames: this.frames,
      fps: this.state === 'live' ? this.fps.fps() : 0,
      reconnects: this.reconnects,
      lastFrameAt: this.lastFrameAt,
      since: this.since,
      owner: this.deps.config.instanceId,
      updatedAt: Date.now(),
    };
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.setState('connecting');
    const verdict = await this.deps.policy.admit(this.camera);
    if (this.stopped) return;
    if (!verdict.ok) {
      this.fail('error', `refused by the source policy: ${maskCredentials(describeRefusal(verdict))}`);
      return;
    }
    let plan: PlannedPipeline;
    try {
      plan = await this.deps.planner.plan(this.camera, this.deps.config.decoderPreference, this.deps.config.watchdogMs, verdict.source);
    } catch (error) {
      this.fail('error', (error as Error).message);
      return;
    }
    if (this.stopped) return;
    if (plan.decoder !== this.plan?.decoder) this.deps.logger.log(`camera ${this.camera.id}: decoder ${plan.decoderReason}`);
    this.plan = plan;
    this.pipeline = this.mask(plan.masked);
    this.stallReason = undefined;
    this.processCounts = { frames: 0, dropped: 0, oversized: 0 };
    this.lastProgressAt = Date.now();
    const start = this.deps.startCapture ?? CaptureProcessHandle.start;
    const capture = start({
      camera: this.camera.id,
      stream: 'raw',
      launch: plan.launch,
      masked: plan.masked,
      redisUrl: this.deps.config.redisUrl,
      seqStart: this.nextSeq,
      loop: plan.loops,
      statsIntervalMs: STATS_INTERVAL_MS,
      maxInFlight: 4,
      maxFrameBytes: this.deps.config.frameMaxBytes,
    });
    this.capture = capture;
    capture.on('seqs', (until) => (this.nextSeq = Math.max(this.nextSeq, until)));
    capture.on('stats', (stats) => this.onStats(stats));
    capture.on('ended', (outcome) => this.onEnded(capture, outcome));
  }

  private onStats(stats: CaptureStats): void {
    const newFrames = stats.frames - this.processCounts.frames;
    const newDropped = stats.dropped - this.processCounts.dropped;
    const newOversized = stats.oversized - this.processCounts.oversized;
    this.processCounts = { frames: stats.frames, dropped: stats.dropped, oversized: stats.oversized };
    if (newFrames > 0) this.deps.metrics.frames.inc({ camera: this.camera.id }, newFrames);
    if (newDropped > 0) this.deps.metrics.dropped.inc({ camera: this.camera.id }, newDropped);
    if (newOversized > 0) this.deps.metrics.oversized.inc({ camera: this.camera.id }, newOversized);
    this.frames += newFrames;
    this.nextSeq = Math.max(this.nextSeq, stats.lastSeq + 1);
    if (stats.lastFrameAt !== undefined && stats.lastFrameAt !== this.lastFrameAt) {
      this.lastFrameAt = stats.lastFrameAt;
      this.lastProgressAt = Date.now();
      if (stats.width && stats.height) this.size = { width: stats.width, height: stats.height };
      if (this.state !== 'live') {
        this.attempt = 0;
        this.setState('live');
      }
    }
  }

  private onEnded(capture: CaptureProcessHandle, outcome: { reason: 'eos' | 'error'; message: string; stats?: CaptureStats }): void {
    if (outcome.stats) this.onStats(outcome.stats);
    if (capture !== this.capture) return;
    this.capture = undefined;
    if (this.stopped) return;
    if (this.stallReason) this.fail('stalled', this.stallReason);
    else if (outcome.reason === 'eos') this.fail('offline', 'the stream ended');
    else this.fail('error', outcome.message);
  }

  private fail(state: CameraState, reason: string): void {
    this.setState(state, reason);
    const delay = backoffDelay(this.attempt, this.deps.config.reconnect);
    this.attempt += 1;
    this.reconnects += 1;
    this.deps.metrics.reconnects.inc({ camera: this.camera.id });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  /** The watchdog: a capture that makes no progress for watchdogMs is killed and restarted. */
  private tick(): void {
    const now = Date.now();
    if (this.capture && !this.stallReason && now - this.lastProgressAt > this.deps.config.watchdogMs) {
      const seconds = Math.round(this.deps.config.watchdogMs / 100) / 10;
      this.stallReason = this.state === 'live' ? `no frame for ${seconds} s` : `no frame within ${seconds} s of connecting`;
      this.capture.kill();
    }
    this.fps.sample(now, this.frames);
    this.deps.metrics.fps.set({ camera: this.camera.id }, this.state === 'live' ? this.fps.fps() : 0);
    this.publishStatus();
  }

  private setState(state: CameraState, rawReason?: string): void {
    const reason = rawReason === undefined ? undefined : this.mask(rawReason);
    const changed = state !== this.state || reason !== this.reason;
    if (state !== this.state) {
      this.since = Date.now();
      this.fps.reset();
    }
    this.state = state;
    this.reason = reason;
    this.deps.metrics.setState(this.camera.id, state);
    if (!changed) return;
    const line = `camera ${this.camera.id}: ${state}${reason ? ` (${reason})` : ''}`;
    if (state === 'error' || state === 'stalled' || state === 'offline') {
      if (line === this.lastWarning) this.deps.logger.debug(`${line}, again (attempt ${this.attempt + 1})`);
      else this.deps.logger.warn(line);
      this.lastWarning = line;
    } else if (state === 'live') {
      this.lastWarning = undefined;
      this.deps.logger.log(line);
    } else if (this.lastWarning === undefined) {
      this.deps.logger.log(line);
    }
    this.publishStatus();
  }

  private publishStatus(): void {
    if (this.stopped) return;
    this.deps.registry.setStatus(this.status()).catch((error: Error) => this.deps.logger.warn(`camera ${this.camera.id}: cannot write status: ${error.message}`));
  }
}
