import { type CameraEgressConfig, type EgressState, type EgressStatus, type Frame, maskerFor, maskUrl } from '@vigil/contracts';
import { backoffDelay, type BackoffOptions, type H264EncoderName } from '@vigil/media';
import { ArrivalRate } from './arrival-rate';
import { DropOldestQueue } from './drop-oldest-queue';
import type { PushEnding, PushProcess } from './ffmpeg-push';
import { pushLauncher, type PushLauncher } from './push-launch';

export interface PusherEvents {
  pushed?(camera: string): void;
  dropped?(camera: string, count: number): void;
  reconnect?(camera: string): void;
  /** every state change; `repeat` when the same change was already reported since the push was last live */
  state?(status: EgressStatus, repeat: boolean): void;
}

export interface PusherOptions {
  camera: string;
  config: CameraEgressConfig;
  /** the encoder this camera uses, or why none can be (the pusher then stays in `error`) */
  encoder: { name: H264EncoderName } | { error: string };
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
  events?: PusherEvents;
}

/** a push live this long before it failed starts its backoff again from the shortest delay */
const STABLE_MS = 10_000;
const CHECK_MS = 500;
/** longest reason shown (ffmpeg's last lines can be long) */
const MAX_REASON = 500;

interface Run {
  push: PushProcess;
  fps: number;
  width: number;
  height: number;
  startedAt: number;
  liveAt?: number;
  sent: number;
  progressAt: number;
  /** set when we end it on purpose: what happens after it exits */
  then?: 'wait' | 'restart';
  /** set when we kill it: the reason its exit reports */
  killedFor?: string;
}

/**
 * One camera's push: takes frames as they come, keeps ffmpeg fed through a small drop-oldest queue (the frame bus
 * never waits on it), restarts ffmpeg with capped exponential backoff when it fails, and runs none while no frames
 * come, so an offline camera costs no restarts. Frames are disposable: while ffmpeg restarts they are not kept.
 */
export class Pusher {
  private readonly options: Required<Omit<PusherOptions, 'events' | 'admit'>> & Pick<PusherOptions, 'events' | 'admit'>;
  private readonly queue: DropOldestQueue<Buffer>;
  private readonly rate = new ArrivalRate();
  private readonly timer: NodeJS.Timeout;
  private readonly reported = new Set<string>();
  /** ffmpeg echoes the push URL, and librtmp the stream key alone */
  private readonly mask: (text: string) => string;
  private run?: Run;
  private retry?: NodeJS.Timeout;
  private attempt = 0;
  private closed = false;
  /** an admission check is under way: no second start meanwhile */
  private admitting = false;
  private state: EgressState = 'waiting';
  private reason?: string = 'no frames yet';
  private since = Date.now();
  private counts = { pushed: 0, reconnects: 0 };
  private lastFrame?: { at: number; width: number; height: number };
  private lastFps?: number;

  constructor(options: PusherOptions) {
    this.options = { ffmpeg: 'ffmpeg', idleMs: 5000, stallMs: 15_000, queueFrames: 3, fpsCap: 30, ...options };
    this.mask = maskerFor(options.config.url);
    this.queue = new DropOldestQueue(this.options.queueFrames);
    this.timer = setInterval(() => this.check(), CHECK_MS);
    if ('error' in options.encoder) this.setState('error', options.encoder.error);
  }

  get camera(): string {
    return this.options.camera;
  }

  get config(): CameraEgressConfig {
    return this.options.config;
  }

  offer(frame: Frame): void {
    if (this.closed || 'error' in this.options.encoder) return;
    const now = Date.now();
    // after a gap the camera may come back at another rate
    if (this.lastFrame && now - this.lastFrame.at > this.options.idleMs) this.rate.reset();
    this.lastFrame = { at: now, width: frame.width, height: frame.height };
    this.rate.record(frame.ts);
    const run = this.run;
    if (!run) {
      if (!this.retry && (this.options.config.fps !== undefined || this.rate.ready)) this.start();
      return;
    }
    if (run.then) return;
    if (frame.width !== run.width || frame.height !== run.height) {
      // an encoder cannot change size mid-stream: a fresh ffmpeg at the new size
      run.then = 'restart';
      void run.push.end();
      return;
    }
    if (this.queue.push(frame.data)) this.options.events?.dropped?.(this.camera, 1);
    this.flush();
  }

  status(): EgressStatus {
    const { config } = this.options;
    return {
      camera: this.camera,
      url: maskUrl(config.url),
      stream: config.stream,
      state: this.state,
      ...(this.reason ? { reason: this.reason } : {}),
      ...('name' in this.options.encoder ? { encoder: this.options.encoder.name } : {}),
      ...(this.lastFps ? { fps: this.lastFps } : {}),
      ...(this.lastFrame ? { width: this.lastFrame.width, height: this.lastFrame.height, lastFrameAt: this.lastFrame.at } : {}),
      pushed: this.counts.pushed,
      dropped: this.queue.dropped,
      reconnects: this.counts.reconnects,
      since: this.since,
    };
  }

  /** Ends the push: ffmpeg finishes the stream and exits; no restart follows. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.retry);
    await this.run?.push.end();
  }

  private start(): void {
    const { admit } = this.options;
    if (this.admitting) return;
    if (!admit) {
      this.launch();
      return;
    }
    this.admitting = true;
    void admit(this.options.config.url)
      .catch((error: Error) => `cannot check the target: ${error.message}`)
      .then((problem) => {
        this.admitting = false;
        if (this.closed || this.run) return;
        if (problem) this.retryLater(`refused by the network policy: ${problem}`);
        else this.launch();
      });
  }

  private launch(): void {
    if (!('name' in this.options.encoder) || !this.lastFrame) return;
    const { config, ffmpeg } = this.options;
    const fps = config.fps ?? this.rate.fps(this.options.fpsCap);
    let launch: PushLauncher;
    try {
      launch = pushLauncher({ url: config.url, encoder: this.options.encoder.name, fps, bitrateKbps: config.bitrate, keyframeSeconds: config.keyframeSeconds });
    } catch (error) {
      // a URL that ffmpeg would read as an option, or that cannot be pushed without showing a secret (a record
      // written straight into Redis): refused, no ffmpeg runs
      this.setState('error', (error as Error).message);
      return;
    }
    const now = Date.now();
    this.queue.clear();
    const run = { fps, width: this.lastFrame.width, height: this.lastFrame.height, startedAt: now, sent: 0, progressAt: now } as Run;
    this.run = run;
    try {
      // the callbacks fire only after this returns, once `run` is set
      run.push = launch(ffmpeg, {
        progress: (frames) => this.onProgress(run, frames),
        drain: () => this.flush(),
        exit: (ending) => this.onExit(run, ending),
      });
    } catch (error) {
      // ffmpeg could not be started at all (its preset could not be written): a failed start, retried with backoff
      this.onExit(run, { ending: `could not start ${ffmpeg}: ${(error as Error).message}`, stderr: [] });
      return;
    }
    this.lastFps = fps;
    this.setState('connecting');
  }

  private flush(): void {
    const run = this.run;
    while (run && !run.then && this.queue.size > 0 && !run.push.backedUp) {
      run.push.write(this.queue.shift()!);
      this.counts.pushed += 1;
      this.options.events?.pushed?.(this.camera);
    }
  }

  private onProgress(run: Run, frames: number): void {
    if (run !== this.run || frames <= run.sent) return;
    run.sent = frames;
    run.progressAt = Date.now();
    if (this.state === 'connecting' && !run.then) {
      run.liveAt = run.progressAt;
      this.setState('live');
    }
  }

  private onExit(run: Run, ending: PushEnding): void {
    if (run !== this.run) return;
    this.run = undefined;
    this.queue.clear();
    if (this.closed || run.then === 'wait') return;
    if (run.then === 'restart') {
      this.start();
      return;
    }
    if (run.liveAt !== undefined && Date.now() - run.liveAt > STABLE_MS) this.attempt = 0;
    this.retryLater(run.killedFor ?? describeEnding(ending));
  }

  /** The push failed (or was refused): `error` with why, and another start after the backoff if frames still come. */
  private retryLater(reason: string): void {
    this.setState('error', reason);
    const delay = backoffDelay(this.attempt++, this.options.reconnect);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (this.closed) return;
      if (!this.receiving()) {
        this.setState('waiting', 'no frames');
        return;
      }
      this.counts.reconnects += 1;
      this.options.events?.reconnect?.(this.camera);
      this.start();
    }, delay);
  }

  /** The watchdog: stops ffmpeg when frames stop, kills it when it connects or sends nothing for too long. */
  private check(): void {
    const run = this.run;
    if (!run || run.then || run.killedFor) return;
    const now = Date.now();
    const { idleMs, stallMs } = this.options;
    if (!this.receiving()) {
      run.then = 'wait';
      this.setState('waiting', `no frames for ${idleMs / 1000} s`);
      void run.push.end();
    } else if (this.state === 'connecting' && now - run.startedAt > stallMs) {
      run.killedFor = `no frame reached the server within ${stallMs / 1000} s`;
      void run.push.kill();
    } else if (this.state === 'live' && now - run.progressAt > stallMs) {
      run.killedFor = `stalled: ffmpeg sent no frame for ${stallMs / 1000} s`;
      void run.push.kill();
    }
  }

  private receiving(): boolean {
    return this.lastFrame !== undefined && Date.now() - this.lastFrame.at <= this.options.idleMs;
  }

  private setState(state: EgressState, reason?: string): void {
    // masked before it is cut short: a cut could split a secret and leave its start unrecognised
    const shown = reason === undefined ? undefined : this.mask(reason).slice(0, MAX_REASON);
    if (state === this.state && shown === this.reason) return;
    this.state = state;
    this.reason = shown;
    this.since = Date.now();
    // a server that stays down cycles connecting -> error: the first round is told, the rest are repeats
    const key = `${state}:${this.reason ?? ''}`;
    const repeat = this.reported.has(key);
    this.reported.add(key);
    if (state === 'live') this.reported.clear();
    this.options.events?.state?.(this.status(), repeat);
  }
}

/** "ffmpeg exit code 1: <its last lines>", after the cause where there is one, for the status and the log. */
function describeEnding(ending: PushEnding): string {
  const detail = ending.stderr.slice(-2).join(' | ');
  return `${ending.cause ? `${ending.cause}; ` : ''}ffmpeg ${ending.ending}${detail ? `: ${detail}` : ''}`;
}
