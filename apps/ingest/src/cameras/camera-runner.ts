import type { Logger } from '@nestjs/common';
import { describeRefusal, type SourcePolicy, type VigilConfig } from '@vigil/config';
import { maskCredentials, maskerFor, type CameraConfig, type CameraState, type CameraStatus } from '@vigil/contracts';
import { type Attempt, ProcessSupervisor, type Refusal, type StderrTail, type SupervisedChild, untilAborted } from '@vigil/kernel';
import { type CaptureJob, type CaptureProcessEvents, type CaptureStats, type PipelinePlanner, type PlannedPipeline } from '@vigil/media';
import type { CameraRegistry } from '@vigil/redis';
import { FpsMeter } from '@vigil/metrics';
import type { IngestMetrics } from './ingest-metrics';

/** A camera's capture as the runner drives it (CameraCaptureHandle from the CapturePool; a fake in unit tests). */
export interface CaptureChild extends SupervisedChild {
  on<K extends keyof CaptureProcessEvents>(event: K, listener: (...args: CaptureProcessEvents[K]) => void): unknown;
  readonly stderr: StderrTail;
}

export interface CameraRunnerDeps {
  planner: Pick<PipelinePlanner, 'plan'>;
  /** checked before every capture start: the record may have been written straight into Redis, a name may move */
  policy: Pick<SourcePolicy, 'admit'>;
  registry: Pick<CameraRegistry, 'setStatus'>;
  metrics: IngestMetrics;
  config: Pick<VigilConfig, 'watchdogMs' | 'reconnect' | 'decoderPreference' | 'redisUrl' | 'frameMaxBytes' | 'instanceId'>;
  logger: Pick<Logger, 'log' | 'warn' | 'debug'>;
  /** starts the camera's capture in a capture process (CapturePool.start) */
  startCapture: (job: CaptureJob) => CaptureChild;
}

const STATUS_INTERVAL_MS = 1000;
const STATS_INTERVAL_MS = 250;

/**
 * Keeps one camera captured: plans its pipeline and runs its capture process under the kernel's supervisor, which
 * watches it and restarts it with backoff when it fails, ends or stalls. A camera's trouble stays with that camera:
 * every failure becomes a state with a reason. Here: what a capture start is, and what its statistics mean.
 */
export class CameraRunner {
  private readonly supervisor: ProcessSupervisor<CameraState>;
  private plan?: PlannedPipeline;
  /** the plan's masked pipeline, masked again here: it still holds query tokens and path secrets of the URL */
  private pipeline?: string;
  private nextSeq = 0;
  private frames = 0;
  private lastFrameAt?: number;
  private size?: { width: number; height: number };
  private stopped = false;
  /** the state the fps meter counts for: it starts again at each change */
  private shownState?: CameraState;
  private readonly ticker: NodeJS.Timeout;
  private readonly fps = new FpsMeter();
  /** GStreamer's and ffprobe's errors can echo the camera URL, or its password alone */
  private readonly mask: (text: string) => string;

  constructor(
    readonly camera: CameraConfig,
    private readonly deps: CameraRunnerDeps,
  ) {
    this.mask = maskerFor(camera.url);
    const { watchdogMs } = deps.config;
    const seconds = Math.round(watchdogMs / 100) / 10;
    this.supervisor = new ProcessSupervisor<CameraState>({
      name: `camera ${camera.id}`,
      states: { idle: 'offline', starting: 'connecting', running: 'live', failed: 'error', stalled: 'stalled' },
      launch: (attempt) => this.launch(attempt),
      backoff: deps.config.reconnect,
      watchdog: { ms: watchdogMs, reason: (phase) => (phase === 'running' ? `no frame for ${seconds} s` : `no frame within ${seconds} s of connecting`) },
      mask: this.mask,
      logger: deps.logger,
      onState: ({ state }) => {
        if (state !== this.shownState) this.fps.reset();
        this.shownState = state;
        deps.metrics.setState(camera.id, state);
        this.publishStatus();
      },
      onRetry: () => deps.metrics.reconnects.inc({ camera: camera.id }),
    });
    this.ticker = setInterval(() => this.tick(), Math.min(STATUS_INTERVAL_MS, watchdogMs / 4));
    this.ticker.unref();
  }

  start(): void {
    this.deps.metrics.setState(this.camera.id, this.supervisor.current.state);
    this.supervisor.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.ticker);
    await this.supervisor.stop();
  }

  status(): CameraStatus {
    const { state, reason, since, restarts } = this.supervisor.current;
    return {
      id: this.camera.id,
      state,
      reason,
      decoder: this.plan?.decoder,
      pipeline: this.pipeline,
      width: this.size?.width,
      height: this.size?.height,
      frames: this.frames,
      fps: state === 'live' ? this.fps.fps() : 0,
      reconnects: restarts,
      lastFrameAt: this.lastFrameAt,
      since,
      owner: this.deps.config.instanceId,
      updatedAt: Date.now(),
    };
  }

  /** One capture start: the source policy's word, the pipeline plan, then the capture process. */
  private async launch(attempt: Attempt<CameraState>): Promise<SupervisedChild | Refusal<CameraState>> {
    const { config, logger, policy, planner } = this.deps;
    const verdict = await untilAborted(policy.admit(this.camera), attempt.signal);
    if (verdict === undefined || attempt.signal.aborted) return { refused: 'stopped' };
    if (!verdict.ok) return { refused: `refused by the source policy: ${maskCredentials(describeRefusal(verdict))}` };
    const plan = await untilAborted(planner.plan(this.camera, config.decoderPreference, config.watchdogMs, verdict.source), attempt.signal);
    if (plan === undefined || attempt.signal.aborted) return { refused: 'stopped' };
    if (plan.decoder !== this.plan?.decoder) logger.log(`camera ${this.camera.id}: decoder ${plan.decoderReason}`);
    this.plan = plan;
    this.pipeline = this.mask(plan.masked);
    this.deps.metrics.captureStarts.inc({ camera: this.camera.id });
    const capture = this.deps.startCapture({
      camera: this.camera.id,
      stream: 'raw',
      launch: plan.launch,
      launchAlone: plan.launchAlone,
      masked: plan.masked,
      redisUrl: config.redisUrl,
      seqStart: this.nextSeq,
      loop: plan.loops,
      statsIntervalMs: STATS_INTERVAL_MS,
      maxInFlight: 4,
      maxFrameBytes: config.frameMaxBytes,
    });
    // each process counts from zero: what it reported before is taken off its next report
    let counted = { frames: 0, dropped: 0, oversized: 0 };
    const onStats = (stats: CaptureStats): void => {
      this.count(stats, counted);
      counted = { frames: stats.frames, dropped: stats.dropped, oversized: stats.oversized };
      if (stats.lastFrameAt !== undefined && stats.lastFrameAt !== this.lastFrameAt) {
        this.lastFrameAt = stats.lastFrameAt;
        if (stats.width && stats.height) this.size = { width: stats.width, height: stats.height };
        attempt.progress();
      }
    };
    capture.on('seqs', (until) => (this.nextSeq = Math.max(this.nextSeq, until)));
    capture.on('stats', onStats);
    capture.on('ended', (outcome) => {
      if (outcome.stats) onStats(outcome.stats);
      if (outcome.reason === 'eos') attempt.ended({ reason: 'the stream ended', state: 'offline' });
      else attempt.ended({ reason: outcome.message, stderr: capture.stderr });
    });
    return capture;
  }

  private count(stats: CaptureStats, before: { frames: number; dropped: number; oversized: number }): void {
    const { metrics } = this.deps;
    const camera = this.camera.id;
    const frames = stats.frames - before.frames;
    if (frames > 0) metrics.frames.inc({ camera }, frames);
    if (stats.dropped > before.dropped) metrics.dropped.inc({ camera }, stats.dropped - before.dropped);
    if (stats.oversized > before.oversized) metrics.oversized.inc({ camera }, stats.oversized - before.oversized);
    if (frames > 0) this.frames += frames;
    this.nextSeq = Math.max(this.nextSeq, stats.lastSeq + 1);
  }

  private tick(): void {
    this.fps.sample(Date.now(), this.frames);
    this.deps.metrics.fps.set({ camera: this.camera.id }, this.supervisor.current.state === 'live' ? this.fps.fps() : 0);
    this.publishStatus();
  }

  private publishStatus(): void {
    if (this.stopped) return;
    this.deps.registry.setStatus(this.status()).catch((error: Error) => this.deps.logger.warn(`camera ${this.camera.id}: cannot write status: ${error.message}`));
  }
}
