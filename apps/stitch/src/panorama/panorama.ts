import type { CalibrationSummary, Frame, StitchStatus } from '@vigil/contracts';
import { QuietWarnings, type FollowerLogger } from '@vigil/kernel';
import { FpsMeter } from '@vigil/metrics';
import type { StoredCalibration } from '@vigil/redis';
import type { Size, StitchCalibration } from '@vigil/stitch';
import { FramePairer, type FramePair, type Side } from '../pairing/frame-pairer';
import { DriftWatch } from './drift-watch';
import { UnusablePairError, type PanoramaRenderer, type StitchEngine } from './stitch-engine';
import { stitchState, type StateView } from './stitch-state';

/** Subscribes to one input's raw frames (checked envelopes); resolves to what unsubscribes. */
export type InputSubscriber = (input: string, onFrame: (frame: Frame) => void) => Promise<() => Promise<void>>;

/** Where calibrations are kept between runs (StitchCalibrations in Redis). */
export interface CalibrationStore {
  get(camera: string): Promise<StoredCalibration | undefined>;
  put(record: StoredCalibration): Promise<void>;
}

/** What a panorama reports, for metrics. */
export interface PanoramaEvents {
  paired?(): void;
  missed?(side: Side, count: number): void;
  skipped?(): void;
  published?(outcome: string): void;
  calibrated?(ok: boolean): void;
  /** every state change, and every status refresh (tick) */
  status?(status: StitchStatus): void;
}

export interface PanoramaSettings {
  /** frames of the two inputs this close in capture time pair (STITCH_PAIR_TOLERANCE_MS) */
  toleranceMs: number;
  /** agreement below the drift floor this long calibrates again (STITCH_DRIFT_SECONDS) */
  driftMs: number;
  /** automatic calibrations at least this far apart (STITCH_RECALIBRATE_MIN_SECONDS) */
  recalibrateMinMs: number;
  /** an input without a frame this long is an error (WATCHDOG_SECONDS) */
  inputTimeoutMs: number;
}

export interface PanoramaOptions {
  /** the panorama camera's id */
  camera: string;
  inputs: [string, string];
  jpegQuality: number;
  engine: StitchEngine;
  subscribe: InputSubscriber;
  /** publishes a panorama frame on the bus; returns what the publisher did with it (sent, dropped, ...) */
  publish(frame: Frame): string;
  store: CalibrationStore;
  settings: PanoramaSettings;
  /** this replica (INSTANCE_ID), in the status */
  owner: string;
  logger: FollowerLogger;
  events?: PanoramaEvents;
  clock?: () => number;
}

/** An automatic calibration's trigger, for the log line. */
type Trigger = 'first' | 'request' | 'size' | 'drift' | 'retry';

/**
 * One panorama: subscribes to its two inputs' raw frames, pairs them by capture time, calibrates once both send
 * (or takes the stored calibration, so a restart does not calibrate again), renders each pair through the library
 * (off the event loop: one render at a time, the newest pair waiting, older ones skipped) and publishes it with the
 * pair's capture time. Calibrates again on request, when an input's frame size changes, and when the overlap has
 * drifted, automatic ones at most once per `recalibrateMinMs` (a failed one is retried sooner, backing off up to it). Every trouble is a state with a reason and a log line
 * naming the camera; nothing here throws at its caller after start().
 */
export class Panorama {
  private readonly pairer: FramePairer<Frame>;
  private readonly drift: DriftWatch;
  private readonly warnings: QuietWarnings;
  private readonly fps = new FpsMeter();
  private readonly clock: () => number;
  private readonly startedAt: number;
  private unsubscribers: (() => Promise<void>)[] = [];
  private closed = false;
  private problem?: string;

  private calibration?: StitchCalibration;
  private renderer?: PanoramaRenderer;
  private calibrating?: Promise<void>;
  private requested = false;
  private drifted = false;
  private lastAttempt?: { at: number; sizes: string };
  private calibrationFailure?: string;
  private calibrations = 0;
  /** automatic calibrations that failed in a row */
  private failedAttempts = 0;

  private rendering?: Promise<void>;
  private pending?: FramePair<Frame>;
  private renderFailure?: string;
  private publishedWithCalibration = false;

  private readonly lastFrameAt: [number | undefined, number | undefined] = [undefined, undefined];
  private lastPairAt?: number;
  private reportedMissed: [number, number] = [0, 0];
  private skipped = 0;
  /** pairs a render refused (a frame that was no decodable JPEG) */
  private unusable = 0;
  private published = 0;
  private seq = 0;
  private lastPublishedTs = -Infinity;
  private agreement?: number;
  private lastSize?: Size;
  private view: StateView = { state: 'calibrating', reason: 'starting' };
  private since: number;

  constructor(private readonly options: PanoramaOptions) {
    this.clock = options.clock ?? Date.now;
    this.startedAt = this.since = this.clock();
    this.pairer = new FramePairer({ toleranceMs: options.settings.toleranceMs });
    this.drift = new DriftWatch(options.engine.driftFloor, options.settings.driftMs);
    this.warnings = new QuietWarnings(options.logger);
  }

  get id(): string {
    return this.options.camera;
  }

  /** Loads the stored calibration (if it was made for these inputs) and subscribes to both inputs. */
  async start(): Promise<void> {
    const stored = await this.options.store.get(this.id).catch((error: Error) => {
      this.options.logger.warn(`camera ${this.id}: cannot read its stored calibration: ${error.message}`);
      return undefined;
    });
    if (stored && sameInputs(stored.inputs, this.options.inputs)) await this.install(stored.calibration, 'stored');
    try {
      for (const [side, input] of this.options.inputs.entries()) {
        this.unsubscribers.push(await this.options.subscribe(input, (frame) => this.onFrame(side as Side, frame)));
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.update();
  }

  /** Unsubscribes, lets a render or calibration under way finish unheard, frees the renderer. */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const unsubscribers = this.unsubscribers;
    this.unsubscribers = [];
    await Promise.all(unsubscribers.map((unsubscribe) => unsubscribe().catch(() => undefined)));
    await Promise.all([this.rendering, this.calibrating]);
    this.renderer?.close();
    this.renderer = undefined;
    this.pairer.clear();
  }

  /** POST /api/stitch/:id/calibrate: the next pair is calibrated, whatever the rate limit says. */
  calibrateNow(): void {
    this.requested = true;
    this.options.logger.log(`camera ${this.id}: calibration requested`);
  }

  /** Why the registry says this panorama cannot be made now (undefined: it can). */
  setProblem(problem: string | undefined): void {
    if (problem === this.problem) return;
    this.problem = problem;
    if (problem) this.pairer.clear();
    this.update();
  }

  /** The status as it stands; also refreshes the frame rate and the time-outs (called every second or so). */
  tick(): StitchStatus {
    const now = this.clock();
    this.fps.sample(now, this.published);
    this.update(true);
    return this.status();
  }

  status(): StitchStatus {
    const calibration = this.calibration && summary(this.calibration);
    return {
      camera: this.id,
      state: this.view.state,
      ...(this.view.reason ? { reason: this.view.reason } : {}),
      inputs: this.options.inputs,
      owner: this.options.owner,
      pairs: this.pairer.pairs,
      missed: [this.pairer.missed[0], this.pairer.missed[1]],
      skipped: this.skipped + this.unusable,
      published: this.published,
      calibrations: this.calibrations,
      ...(calibration ? { calibration } : {}),
      ...(this.agreement !== undefined ? { agreement: clamp01(this.agreement) } : {}),
      fps: this.fps.fps(),
      ...(this.lastSize ? { width: this.lastSize.width, height: this.lastSize.height } : {}),
      since: this.since,
      updatedAt: this.clock(),
    };
  }

  private onFrame(side: Side, frame: Frame): void {
    if (this.closed || this.problem) return;
    this.lastFrameAt[side] = this.clock();
    const pair = this.pairer.offer(side, frame);
    this.reportMissed();
    if (!pair) return;
    this.lastPairAt = this.clock();
    this.options.events?.paired?.();
    const trigger = this.calibrationTrigger(pair);
    if (trigger) this.calibrating = this.calibrate(pair, trigger);
    if (this.fits(pair)) this.enqueueRender(pair);
    this.update();
  }

  /** Why this pair should be calibrated now, or undefined: one at a time, automatic ones rate-limited. */
  private calibrationTrigger(pair: FramePair<Frame>): Trigger | undefined {
    if (this.calibrating) return undefined;
    if (this.requested) return 'request';
    const sizes = sizesKey(pair);
    const fits = this.fits(pair);
    if (fits && !this.drifted) return undefined;
    // the first try at these frame sizes runs at once; another one waits its turn
    if (!this.lastAttempt || this.lastAttempt.sizes !== sizes) return this.calibration && !fits ? 'size' : this.drifted ? 'drift' : 'first';
    if (this.clock() - this.lastAttempt.at < this.retryDelayMs()) return undefined;
    return this.drifted ? 'drift' : 'retry';
  }

  /**
   * How long after the last attempt an automatic one may run: after failures, from RETRY_FIRST_MS doubling up to
   * recalibrateMinMs (a camera's first frames after it joins a stream can be gray until a keyframe, and someone may
   * stand in front of a camera: a first failure is often gone a second later); after a success, recalibrateMinMs.
   */
  private retryDelayMs(): number {
    const max = this.options.settings.recalibrateMinMs;
    return this.failedAttempts === 0 ? max : Math.min(max, RETRY_FIRST_MS * 2 ** (this.failedAttempts - 1));
  }

  private async calibrate(pair: FramePair<Frame>, trigger: Trigger): Promise<void> {
    this.requested = false;
    this.lastAttempt = { at: this.clock(), sizes: sizesKey(pair) };
    this.calibrations += 1;
    if (trigger !== 'first') this.options.logger.log(`camera ${this.id}: calibrating again (${TRIGGERS[trigger]})`);
    const [left, right] = pair.frames;
    let outcome;
    try {
      outcome = await this.options.engine.calibrate(left.data, right.data);
    } catch (error) {
      outcome = { ok: false as const, reason: `calibration failed: ${(error as Error).message}` };
    }
    if (this.closed) return;
    this.options.events?.calibrated?.(outcome.ok);
    if (!outcome.ok) {
      this.failedAttempts += 1;
      this.calibrationFailure = outcome.reason;
      this.drifted = false;
      this.options.logger.warn(`camera ${this.id}: cannot calibrate: ${outcome.reason}`);
    } else if (await this.install(outcome.calibration, 'new')) {
      this.failedAttempts = 0;
      this.calibrating = undefined;
      // the pair it was made from is shown at once, unless a newer one is on its way
      if (this.fits(pair)) this.enqueueRender(pair);
      await this.options.store.put({ camera: this.id, inputs: this.options.inputs, calibration: outcome.calibration }).catch((error: Error) => {
        this.options.logger.warn(`camera ${this.id}: cannot store its calibration (a restart will calibrate again): ${error.message}`);
      });
    } else {
      this.failedAttempts += 1;
    }
    this.calibrating = undefined;
    this.update();
  }

  /** Puts a calibration in use; false (and a failure) if the library cannot render it. */
  private async install(calibration: StitchCalibration, origin: 'stored' | 'new'): Promise<boolean> {
    let renderer: PanoramaRenderer;
    try {
      renderer = await this.options.engine.renderer(calibration, { jpegQuality: this.options.jpegQuality });
    } catch (error) {
      this.calibrationFailure = `the ${origin} calibration cannot be rendered: ${(error as Error).message}`;
      this.options.logger.warn(`camera ${this.id}: ${this.calibrationFailure}`);
      return false;
    }
    if (this.closed) {
      renderer.close();
      return false;
    }
    this.renderer?.close();
    this.renderer = renderer;
    this.calibration = calibration;
    this.calibrationFailure = undefined;
    this.renderFailure = undefined;
    this.drifted = false;
    this.publishedWithCalibration = false;
    this.drift.reset();
    const { output, inliers, matches, method } = calibration;
    this.options.logger.log(`camera ${this.id}: ${origin === 'stored' ? 'uses its stored calibration' : 'calibrated'} (${method}, ${output.width}x${output.height}, ${inliers} inliers of ${matches} matches)`);
    return true;
  }

  private fits(pair: FramePair<Frame>): boolean {
    const inputs = this.calibration?.inputs;
    return inputs !== undefined && pair.frames.every((frame, side) => frame.width === inputs[side]!.width && frame.height === inputs[side]!.height);
  }

  /** One render at a time; the newest pair waits, and a waiting pair a newer one replaces is skipped. */
  private enqueueRender(pair: FramePair<Frame>): void {
    if (!this.rendering) {
      this.rendering = this.render(pair).finally(() => {
        this.rendering = undefined;
      });
      return;
    }
    if (this.pending) {
      this.skipped += 1;
      this.options.events?.skipped?.();
    }
    this.pending = pair;
  }

  private async render(first: FramePair<Frame>): Promise<void> {
    for (let pair: FramePair<Frame> | undefined = first; pair && !this.closed; pair = this.takePending()) {
      const renderer = this.renderer;
      // a panorama never goes back in time (the pair a calibration was made from, rendered after newer ones)
      if (!renderer || !this.fits(pair) || pair.ts <= this.lastPublishedTs) continue;
      const [left, right] = pair.frames;
      try {
        const panorama = await renderer.render(left.data, right.data);
        // a frame rendered with the calibration just replaced is still a good frame: shown
        if (this.closed) continue;
        const outcome = this.options.publish({ camera: this.id, stream: 'raw', seq: this.seq++, ts: pair.ts, width: panorama.width, height: panorama.height, format: 'jpeg', data: panorama.jpeg });
        this.options.events?.published?.(outcome);
        this.published += 1;
        this.lastPublishedTs = pair.ts;
        this.publishedWithCalibration = true;
        this.lastSize = { width: panorama.width, height: panorama.height };
        this.renderFailure = undefined;
        this.warnings.clear('render', `camera ${this.id}: rendering again`);
        if (panorama.agreement !== undefined) this.agreement = panorama.agreement;
        if (this.drift.observe(panorama.agreement, this.clock()) && !this.drifted) {
          this.drifted = true;
          this.options.logger.warn(`camera ${this.id}: its inputs no longer agree in the overlap (agreement ${panorama.agreement!.toFixed(2)} below ${this.options.engine.driftFloor} for ${this.options.settings.driftMs / 1000} s)`);
        }
      } catch (error) {
        if (error instanceof UnusablePairError) {
          this.unusable += 1;
          this.warnings.warn('unusable', `camera ${this.id}: a pair of frames was dropped: ${error.message}`);
        } else {
          this.renderFailure = (error as Error).message;
          this.warnings.warn('render', `camera ${this.id}: cannot render the panorama: ${this.renderFailure}`);
        }
      }
      this.update();
    }
  }

  private takePending(): FramePair<Frame> | undefined {
    const next = this.pending;
    this.pending = undefined;
    return next;
  }

  private reportMissed(): void {
    const missed = this.pairer.missed;
    for (const side of [0, 1] as const) {
      const added = missed[side] - this.reportedMissed[side];
      if (added > 0) this.options.events?.missed?.(side, added);
    }
    this.reportedMissed = [missed[0], missed[1]];
  }

  /** Works the state out again; a change is logged and reported at once, `refresh` reports it anyway. */
  private update(refresh = false): void {
    if (this.closed) return;
    const next = stitchState({
      problem: this.problem,
      silentInputs: this.inputsWhere((at, now) => now - (at ?? this.startedAt) > this.options.settings.inputTimeoutMs),
      awaitedInputs: this.inputsWhere((at) => at === undefined),
      unpaired: this.unpaired(),
      calibrating: this.calibrating !== undefined,
      calibrated: this.renderer !== undefined,
      calibrationFailure: this.calibrationFailure,
      renderFailure: this.renderFailure,
      published: this.publishedWithCalibration,
    });
    const changed = next.state !== this.view.state || next.reason !== this.view.reason;
    if (changed) {
      if (next.state !== this.view.state) this.since = this.clock();
      const line = `camera ${this.id}: panorama ${next.state}${next.reason ? `: ${next.reason}` : ''}`;
      if (next.state === 'error') this.warnings.warn('state', line);
      else this.options.logger.log(line);
      this.view = next;
    }
    if (changed || refresh) this.options.events?.status?.(this.status());
  }

  private inputsWhere(test: (lastFrameAt: number | undefined, now: number) => boolean): string[] {
    const now = this.clock();
    return this.options.inputs.filter((_, side) => test(this.lastFrameAt[side], now));
  }

  /** Both inputs send, yet nothing paired for the input timeout: their capture times lie further apart than the tolerance. */
  private unpaired(): string | undefined {
    const now = this.clock();
    const { inputTimeoutMs, toleranceMs } = this.options.settings;
    if (this.lastFrameAt.some((at) => at === undefined) || now - (this.lastPairAt ?? this.startedAt) <= inputTimeoutMs) return undefined;
    const [left, right] = this.pairer.missed;
    return `the inputs' frames do not pair: no two within ${toleranceMs} ms of each other for ${inputTimeoutMs / 1000} s (missed ${left} and ${right}; STITCH_PAIR_TOLERANCE_MS)`;
  }
}

/** the first retry after a failed calibration; each further failure doubles it, up to STITCH_RECALIBRATE_MIN_SECONDS */
export const RETRY_FIRST_MS = 1000;

const TRIGGERS: Record<Trigger, string> = {
  first: 'first calibration',
  request: 'requested',
  size: "an input's frame size changed",
  drift: 'the overlap drifted',
  retry: 'the last one failed',
};

function sameInputs(a: readonly string[], b: readonly string[]): boolean {
  return a[0] === b[0] && a[1] === b[1];
}

function sizesKey(pair: FramePair<Frame>): string {
  return pair.frames.map((frame) => `${frame.width}x${frame.height}`).join(',');
}

function summary(calibration: StitchCalibration): CalibrationSummary {
  const { method, output, overlap, matches, inliers, at } = calibration;
  return { method, output: { ...output }, overlap: { ...overlap }, matches, inliers, at };
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}
