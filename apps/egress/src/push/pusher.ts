import { type CameraEgressConfig, type EgressAudioStatus, type EgressState, type EgressStatus, type Frame, maskerFor, maskUrl } from '@vigil/contracts';
import { type Attempt, type BackoffOptions, type ProcessLogger, ProcessSupervisor, type Refusal, type SupervisedChild } from '@vigil/kernel';
import type { EncoderName } from '@vigil/media';
import { ArrivalRate } from './arrival-rate';
import type { AudioPlan } from './audio-input';
import { CaptureTimedVideo, pushEpoch } from './capture-clock';
import { DropOldestQueue } from './drop-oldest-queue';
import type { PushEnding, PushProcess } from './ffmpeg-push';
import { pushLauncher, type PushLauncher } from './push-launch';

export interface PusherEvents {
  pushed?(camera: string): void;
  dropped?(camera: string, count: number): void;
  reconnect?(camera: string): void;
  /** every state change (the supervisor has logged it) */
  state?(status: EgressStatus): void;
}

export interface PusherOptions {
  camera: string;
  config: CameraEgressConfig;
  /** the encoder this camera uses (of its codec), or why none can be (the pusher then stays in `error`) */
  encoder: { name: EncoderName } | { error: string };
  reconnect: BackoffOptions;
  /** Default 'ffmpeg', found on PATH. */
  ffmpeg?: string;
  /** no frame for this long: ffmpeg is stopped and the push waits for frames. Default 5000 ms. */
  idleMs?: number;
  /** connecting this long, or live this long without a frame sent: ffmpeg is killed and restarted. Default 15000 ms. */
  stallMs?: number;
  /** frames waiting for ffmpeg's stdin; beyond it the oldest is dropped. Default 3. */
  queueFrames?: number;
  /** highest output frame rate picked from the arrival rate. Default 30. */
  fpsCap?: number;
  /**
   * asked before each start: why the target must not be reached now (its name resolves to a blocked network), or
   * undefined. A refusal is an error retried with backoff, since a name can point elsewhere later.
   */
  admit?: (url: string) => Promise<string | undefined>;
  /**
   * asked before each start (after the target's check) whether and where the push reads the camera's audio; never
   * rejects. Default: no audio.
   */
  audio?: () => Promise<AudioPlan>;
  /** the camera's source URL: ffmpeg reads it for the audio and may echo it, so its secrets are masked too */
  sourceUrl?: string;
  /** where state changes are told: the first of a kind at log or warn, repeats at debug. Default: none. */
  logger?: ProcessLogger;
  events?: PusherEvents;
  /** how a push starts; tests may replace it */
  launcher?: typeof pushLauncher;
}

/** One ffmpeg run: the size and rate it was started with, and whether it still takes frames. */
interface Run {
  push: PushProcess;
  /** its stdin: the frames at their capture times */
  video: CaptureTimedVideo;
  fps: number;
  width: number;
  height: number;
  /** being ended on purpose: it takes no more frames */
  closing: boolean;
}

/** A frame waiting for ffmpeg, and when it reached egress. */
interface Queued {
  frame: Frame;
  arrivedAt: number;
}

const SILENT: ProcessLogger = { log: () => undefined, warn: () => undefined, debug: () => undefined };

/**
 * One camera's push: takes frames as they come, keeps ffmpeg fed through a small drop-oldest queue (the frame bus
 * never waits on it), and runs none while no frames come, so an offline camera costs no restarts. The kernel's
 * supervisor restarts ffmpeg with backoff and kills a stalled one. Frames are disposable: while ffmpeg restarts
 * they are not kept.
 */
export class Pusher {
  private readonly options: Required<Omit<PusherOptions, 'events' | 'admit' | 'logger' | 'audio' | 'sourceUrl'>> & Pick<PusherOptions, 'events' | 'admit' | 'audio'>;
  private readonly queue: DropOldestQueue<Queued>;
  private readonly rate = new ArrivalRate();
  private readonly supervisor: ProcessSupervisor<EgressState>;
  private run?: Run;
  private closed = false;
  private pushed = 0;
  private lastFrame?: { at: number; width: number; height: number };
  private lastFps?: number;
  /** what the last start decided about audio; undefined until a start asked (or the config turned it off) */
  private audio?: EgressAudioStatus;
  /** capture to arrival here of the last frame, ms */
  private latencyMs?: number;
  private restamped = 0;
  /** why the last start with audio ended before sending anything: the next start goes without it */
  private audioFailure?: string;
  private readonly mask: (text: string) => string;

  constructor(options: PusherOptions) {
    this.options = { ffmpeg: 'ffmpeg', idleMs: 5000, stallMs: 15_000, queueFrames: 3, fpsCap: 30, launcher: pushLauncher, ...options };
    const { idleMs, stallMs } = this.options;
    this.queue = new DropOldestQueue(this.options.queueFrames);
    const name = `camera ${options.camera}: egress to ${maskUrl(options.config.url)}`;
    // ffmpeg echoes the push URL, and librtmp the stream key alone; the concat demuxer the source's URL
    this.mask = masker(options.config.url, options.sourceUrl);
    this.supervisor = new ProcessSupervisor<EgressState>({
      name,
      states: { idle: 'waiting', starting: 'connecting', running: 'live', failed: 'error', stalled: 'error' },
      initial: { state: 'waiting', reason: 'no frames yet' },
      launch: (attempt) => this.launch(attempt),
      backoff: options.reconnect,
      watchdog: {
        ms: stallMs,
        reason: (phase) => (phase === 'starting' ? `no frame reached the server within ${stallMs / 1000} s` : `stalled: ffmpeg sent no frame for ${stallMs / 1000} s`),
      },
      // an offline camera: ffmpeg stops, and no restart spins with nothing to send
      holdReason: () => (this.receiving() ? undefined : `no frames for ${idleMs / 1000} s`),
      mask: this.mask,
      describe: (state, reason) => `${name} ${state}${reason ? `: ${reason}` : ''}`,
      logger: options.logger ?? SILENT,
      onState: () => this.options.events?.state?.(this.status()),
      onRetry: () => this.options.events?.reconnect?.(this.camera),
    });
    if ('error' in options.encoder) this.supervisor.hold(options.encoder.error, 'error');
    if (options.config.audio === false) this.audio = { carried: false, reason: 'turned off (audio: false)' };
  }

  get camera(): string {
    return this.options.camera;
  }

  get config(): CameraEgressConfig {
    return this.options.config;
  }

  /** The ffmpeg process id of the push now running, if any (tests kill it). */
  get pid(): number | undefined {
    return this.run?.push.pid;
  }

  offer(frame: Frame): void {
    if (this.closed || 'error' in this.options.encoder) return;
    const now = Date.now();
    // after a gap the camera may come back at another rate
    if (this.lastFrame && now - this.lastFrame.at > this.options.idleMs) this.rate.reset();
    this.lastFrame = { at: now, width: frame.width, height: frame.height };
    this.latencyMs = Math.max(0, now - frame.ts);
    this.rate.record(frame.ts);
    const run = this.run;
    if (!run) {
      if (this.options.config.fps !== undefined || this.rate.ready) this.supervisor.start();
      return;
    }
    if (run.closing) return;
    if (frame.width !== run.width || frame.height !== run.height) {
      // an encoder cannot change size mid-stream: a fresh ffmpeg at the new size
      this.supervisor.restart();
      return;
    }
    if (this.queue.push({ frame, arrivedAt: now })) this.options.events?.dropped?.(this.camera, 1);
    this.flush();
  }

  status(): EgressStatus {
    const { config } = this.options;
    const { state, reason, since, restarts } = this.supervisor.current;
    return {
      camera: this.camera,
      url: maskUrl(config.url),
      stream: config.stream,
      codec: config.codec,
      state,
      ...(reason ? { reason } : {}),
      ...('name' in this.options.encoder ? { encoder: this.options.encoder.name } : {}),
      ...(this.lastFps ? { fps: this.lastFps } : {}),
      ...(this.lastFrame ? { width: this.lastFrame.width, height: this.lastFrame.height, lastFrameAt: this.lastFrame.at } : {}),
      ...(this.audio ? { audio: this.audio } : {}),
      ...(this.latencyMs === undefined ? {} : { latencyMs: this.latencyMs }),
      pushed: this.pushed,
      dropped: this.queue.dropped,
      restamped: this.restamped,
      reconnects: restarts,
      since,
    };
  }

  /** Ends the push: ffmpeg finishes the stream and exits; no restart follows. */
  async close(): Promise<void> {
    this.closed = true;
    await this.supervisor.stop();
  }

  /** One start of ffmpeg, after the network policy's word on the target. */
  private async launch(attempt: Attempt<EgressState>): Promise<SupervisedChild | Refusal<EgressState>> {
    const { admit, config, ffmpeg } = this.options;
    if (admit) {
      const problem = await admit(config.url).catch((error: Error) => `cannot check the target: ${error.message}`);
      if (problem) return { refused: `refused by the network policy: ${problem}` };
      if (attempt.signal.aborted) return { refused: 'stopped' };
    }
    const plan = await this.planAudio();
    if (attempt.signal.aborted) return { refused: 'stopped' };
    if (!('name' in this.options.encoder) || !this.lastFrame) return { refused: 'no frames yet', state: 'waiting', retry: false };
    const fps = config.fps ?? this.rate.fps(this.options.fpsCap);
    const epochMs = pushEpoch(Date.now());
    let launch: PushLauncher;
    try {
      launch = this.options.launcher({
        url: config.url,
        encoder: { codec: config.codec, name: this.options.encoder.name },
        fps,
        bitrateKbps: config.bitrate,
        keyframeSeconds: config.keyframeSeconds,
        epochMs,
        ...(plan && 'input' in plan ? { audio: plan.input } : {}),
      });
    } catch (error) {
      // a URL that ffmpeg would read as an option, or that cannot be pushed without showing a secret (a record
      // written straight into Redis): refused, no ffmpeg runs, and no retry would mend it
      return { refused: (error as Error).message, retry: false };
    }
    this.queue.clear();
    const { width, height } = this.lastFrame;
    const run: Run = { video: new CaptureTimedVideo(epochMs, width, height), fps, width, height, closing: false } as Run;
    let sent = 0;
    try {
      // the callbacks fire only after this returns, once `run` is set
      run.push = launch(ffmpeg, {
        progress: (frames) => {
          if (frames <= sent) return;
          sent = frames;
          attempt.progress();
        },
        drain: () => this.flush(),
        exit: (ending) => {
          if (this.run === run) this.run = undefined;
          this.queue.clear();
          // the camera refused a second session, say: the picture must not stay down for the sound's sake
          if (plan && 'input' in plan && sent === 0 && !run.closing) this.audioFailure = this.mask(describeEnding(ending));
          attempt.ended({ reason: describeEnding(ending), stderr: ending.stderr });
        },
      });
    } catch (error) {
      // ffmpeg could not be started at all (its preset could not be written): a failed start, retried with backoff
      return { refused: describeEnding({ ending: `could not start ${ffmpeg}: ${(error as Error).message}` }) };
    }
    this.run = run;
    this.lastFps = fps;
    return {
      stop: () => {
        run.closing = true;
        return run.push.end();
      },
      kill: () => void run.push.kill(),
    };
  }

  private flush(): void {
    const run = this.run;
    while (run && !run.closing && this.queue.size > 0 && !run.push.backedUp) {
      const { frame, arrivedAt } = this.queue.shift()!;
      const { bytes, restamped } = run.video.frame(frame.data, frame.ts, arrivedAt);
      if (restamped) this.restamped += 1;
      run.push.write(bytes);
      this.pushed += 1;
      this.options.events?.pushed?.(this.camera);
    }
  }

  /** Whether this start carries audio, and from where; the answer is shown in the status. */
  private async planAudio(): Promise<AudioPlan | undefined> {
    const { audio } = this.options;
    if (this.options.config.audio === false || !audio) return undefined;
    const failure = this.audioFailure;
    this.audioFailure = undefined;
    // one start without it; the one after tries the sound again
    const plan: AudioPlan = failure ? { none: `the last start with audio failed before sending anything, so this one is video only (${failure})` } : await audio();
    this.audio = 'input' in plan ? { carried: true, codec: plan.codec, synced: plan.synced } : { carried: false, reason: plan.none };
    return plan;
  }

  private receiving(): boolean {
    return this.lastFrame !== undefined && Date.now() - this.lastFrame.at <= this.options.idleMs;
  }
}

/** A mask for what ffmpeg says: the push target's secrets, and the source's when it reads the source's audio. */
function masker(target: string, source: string | undefined): (text: string) => string {
  const first = maskerFor(target);
  if (source === undefined) return first;
  const second = maskerFor(source);
  return (text) => second(first(text));
}

/** "ffmpeg exit code 1: <its last lines>", after the cause where there is one, for the status and the log. */
function describeEnding(ending: PushEnding): string {
  const detail = (ending.stderr?.last(2) ?? []).join(' | ');
  return `${ending.cause ? `${ending.cause}; ` : ''}ffmpeg ${ending.ending}${detail ? `: ${detail}` : ''}`;
}
