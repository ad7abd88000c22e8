/**
 * A panorama's worker and its state logic, on a fake stitching library, a fake bus and a fake clock. Guards against:
 * a restart that calibrates again although a calibration is stored, feature matching on every frame, a calibration
 * storm (no overlap, drift that does not go away), a stale calibration applied to frames of another size, a
 * backlog of renders, an input that went quiet shown as live, and an error that throws instead of being a state.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Frame, StitchStatus } from '@vigil/contracts';
import type { StoredCalibration } from '@vigil/redis';
import type { CalibrationOutcome, RenderedPanorama, StitchCalibration } from '@vigil/stitch';
import { Panorama, type PanoramaOptions } from '../../apps/stitch/src/panorama/panorama';
import { UnusablePairError, type PanoramaRenderer, type StitchEngine } from '../../apps/stitch/src/panorama/stitch-engine';
import { stitchState, type StitchFacts } from '../../apps/stitch/src/panorama/stitch-state';
import { RecordingLogger } from '../support/follower-fakes';
import { sideBySideCalibration } from '../support/stitch-fixtures';

const DRIFT_FLOOR = 0.5;
const SETTINGS = { toleranceMs: 20, driftMs: 3000, recalibrateMinMs: 30_000, inputTimeoutMs: 10_000 };

/** the fake frames are 64x48, the panorama 104x48 */
const calibration = (left = { width: 64, height: 48 }, right = left): StitchCalibration => sideBySideCalibration(left, right, 24);

class Deferred<T> {
  resolve!: (value: T) => void;
  readonly promise = new Promise<T>((resolve) => {
    this.resolve = resolve;
  });
}

/** The stitching library as the worker sees it: calibrations and renders answer what the test says. */
class FakeEngine implements StitchEngine {
  readonly driftFloor = DRIFT_FLOOR;
  calibrations: { left: Buffer; right: Buffer }[] = [];
  renders = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** what the next calibrations answer (default: a calibration for the frames' sizes) */
  outcome: (left: Buffer, right: Buffer) => CalibrationOutcome | Promise<CalibrationOutcome> = (left, right) => ({ ok: true, calibration: calibration(sizeOf(left), sizeOf(right)) });
  /** what each render answers; a Deferred holds it */
  render: () => Promise<Omit<RenderedPanorama, 'jpeg'>> | Omit<RenderedPanorama, 'jpeg'> = () => ({ width: 104, height: 48, agreement: 0.9 });
  renderers: StitchCalibration[] = [];

  calibrate(left: Buffer, right: Buffer): Promise<CalibrationOutcome> {
    this.calibrations.push({ left, right });
    return Promise.resolve(this.outcome(left, right));
  }

  async renderer(calibration: StitchCalibration): Promise<PanoramaRenderer> {
    this.renderers.push(calibration);
    return {
      render: async () => {
        this.renders += 1;
        this.inFlight += 1;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        try {
          return { ...(await this.render()), jpeg: Buffer.from('panorama') };
        } finally {
          this.inFlight -= 1;
        }
      },
      close: () => undefined,
    };
  }
}

interface Rig {
  panorama: Panorama;
  engine: FakeEngine;
  published: Frame[];
  stored: Map<string, StoredCalibration>;
  statuses: StitchStatus[];
  logger: RecordingLogger;
  clock: { now: number };
  /** one frame of an input at the fake clock's time (plus `offsetMs`) */
  send(side: 0 | 1, options?: { width?: number; height?: number; offsetMs?: number }): void;
  /** a frame of each input, 5 ms apart, then the clock moves on by 40 ms */
  sendPair(options?: { width?: number; height?: number }): Promise<void>;
  subscribed: string[];
}

async function rig(options: Partial<PanoramaOptions> & { stored?: StoredCalibration[] } = {}): Promise<Rig> {
  const engine = (options.engine as FakeEngine | undefined) ?? new FakeEngine();
  const clock = { now: 1_000_000 };
  const handlers = new Map<string, (frame: Frame) => void>();
  const subscribed: string[] = [];
  const published: Frame[] = [];
  const stored = new Map((options.stored ?? []).map((record) => [record.camera, record]));
  const statuses: StitchStatus[] = [];
  const logger = new RecordingLogger();
  const panorama = new Panorama({
    camera: 'pano',
    inputs: ['left', 'right'],
    jpegQuality: 80,
    engine,
    subscribe: async (input, onFrame) => {
      handlers.set(input, onFrame);
      subscribed.push(input);
      return async () => {
        handlers.delete(input);
        subscribed.splice(subscribed.indexOf(input), 1);
      };
    },
    publish: (frame) => {
      published.push(frame);
      return 'sent';
    },
    store: { get: async (id) => stored.get(id), put: async (record) => void stored.set(record.camera, record) },
    settings: SETTINGS,
    owner: 'stitch-1',
    logger,
    events: { status: (status) => void statuses.push(status) },
    clock: () => clock.now,
    ...options,
  });
  await panorama.start();
  let seq = 0;
  const send: Rig['send'] = (side, { width = 64, height = 48, offsetMs = 0 } = {}) => {
    const input = side === 0 ? 'left' : 'right';
    handlers.get(input)?.({ camera: input, stream: 'raw', seq: seq++, ts: clock.now + offsetMs, width, height, format: 'jpeg', data: Buffer.from(`${width}x${height}`) });
  };
  const sendPair: Rig['sendPair'] = async (size) => {
    send(0, size);
    send(1, { ...size, offsetMs: 5 });
    clock.now += 40;
    await settle();
  };
  return { panorama, engine, published, stored, statuses, logger, clock, send, sendPair, subscribed };
}

/** Lets the promise chains of a calibration or render run to their end. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('Panorama worker', () => {
  test('waits for both inputs, calibrates once, then renders every pair and publishes it with the older capture time', async () => {
    const { panorama, engine, published, stored, send, clock, sendPair } = await rig();
    assert.equal(panorama.tick().state, 'calibrating');
    send(0);
    assert.equal(panorama.tick().reason, 'waiting for frames from "right"');
    clock.now += 40;
    for (let i = 0; i < 10; i++) await sendPair();
    assert.equal(engine.calibrations.length, 1, 'features are matched once, not per frame');
    assert.equal(panorama.tick().state, 'live');
    assert.equal(published.length, 10);
    const first = published[0]!;
    assert.equal(first.camera, 'pano');
    assert.equal(first.stream, 'raw');
    assert.deepEqual([first.width, first.height], [104, 48]);
    // left frames are 5 ms older than their right partners: the pair is as old as its older half
    assert.equal(published[1]!.ts + 40, published[2]!.ts);
    assert.equal(first.data.toString(), 'panorama');
    assert.deepEqual(published.map((frame) => frame.seq), [...published.keys()]);
    assert.deepEqual(stored.get('pano')?.inputs, ['left', 'right']);
    const status = panorama.tick();
    assert.equal(status.calibrations, 1);
    assert.equal(status.calibration?.inliers, 150);
    assert.deepEqual([status.width, status.height], [104, 48]);
    assert.equal(status.published, 10);
  });

  test('a restart with a stored calibration for the same inputs goes live with no calibration run', async () => {
    const { panorama, engine, published, sendPair } = await rig({ stored: [{ camera: 'pano', inputs: ['left', 'right'], calibration: calibration() }] });
    for (let i = 0; i < 3; i++) await sendPair();
    assert.equal(engine.calibrations.length, 0);
    assert.equal(panorama.tick().state, 'live');
    assert.equal(published.length, 3);
  });

  test('a stored calibration made for other inputs (the panorama was changed) is not used', async () => {
    const { engine, sendPair } = await rig({ stored: [{ camera: 'pano', inputs: ['right', 'left'], calibration: calibration() }] });
    await sendPair();
    assert.equal(engine.calibrations.length, 1);
  });

  test('not enough overlap: state error with the reason, nothing published, retried after 1 s, doubling up to STITCH_RECALIBRATE_MIN_SECONDS', async () => {
    const engine = new FakeEngine();
    engine.outcome = () => ({ ok: false, reason: 'not enough overlap: 3 inliers (at least 12)' });
    const { panorama, published, sendPair, clock, logger } = await rig({ engine });
    for (let i = 0; i < 20; i++) await sendPair();
    const status = panorama.tick();
    assert.equal(status.state, 'error');
    assert.equal(status.reason, 'not enough overlap: 3 inliers (at least 12)');
    assert.equal(engine.calibrations.length, 1, 'a failed calibration is not tried again on every pair');
    assert.equal(published.length, 0);
    assert.ok(logger.lines.some(({ message }) => message.includes('camera pano: cannot calibrate: not enough overlap')));
    // 20 pairs took 800 ms: the retry comes at 1 s, the next 2 s after that, then 4 s, ...
    const attemptsAt: number[] = [];
    const start = clock.now;
    while (clock.now - start < 100_000) {
      const before = engine.calibrations.length;
      await sendPair();
      if (engine.calibrations.length > before) attemptsAt.push(clock.now - 40);
    }
    const gaps = attemptsAt.slice(1).map((at, index) => Math.round((at - attemptsAt[index]!) / 1000));
    assert.deepEqual(gaps, [2, 4, 8, 16, 30, 30], `seconds between tries: ${gaps}`);
    // the scene changed meanwhile: the next try works
    engine.outcome = () => ({ ok: true, calibration: calibration() });
    clock.now += SETTINGS.recalibrateMinMs;
    await sendPair();
    await sendPair();
    assert.equal(panorama.tick().state, 'live');
    assert.ok(published.length > 0);
  });

  test("an input's frame size changes: calibrated again at once, and the old calibration is never applied to the new size", async () => {
    const { panorama, engine, published, sendPair, send, clock } = await rig();
    await sendPair();
    assert.equal(engine.calibrations.length, 1);
    const before = engine.renders;
    // the left camera now sends 128x96
    send(0, { width: 128, height: 96 });
    send(1, { offsetMs: 5 });
    clock.now += 40;
    await settle();
    assert.equal(engine.calibrations.length, 2, 'not held back by the rate limit');
    assert.deepEqual(engine.renderers.at(-1)!.inputs, [{ width: 128, height: 96 }, { width: 64, height: 48 }]);
    assert.equal(engine.renders, before + 1, 'the new pair was rendered once, with the new calibration');
    assert.equal(panorama.tick().state, 'live');
    assert.equal(published.length, engine.renders);
  });

  test('drift: agreement below the floor for STITCH_DRIFT_SECONDS calibrates again, at most once per STITCH_RECALIBRATE_MIN_SECONDS, rendering on meanwhile', async () => {
    const { panorama, engine, published, sendPair, clock, logger } = await rig();
    await sendPair();
    // the first calibration counts toward the rate limit too
    clock.now += SETTINGS.recalibrateMinMs;
    engine.render = () => ({ width: 104, height: 48, agreement: 0.2 });
    // 2 s of low agreement: not yet drift
    for (let i = 0; i < 50; i++) await sendPair();
    assert.equal(engine.calibrations.length, 1);
    // a passer-by in the overlap is not drift: one good frame starts the count again
    engine.render = () => ({ width: 104, height: 48, agreement: 0.8 });
    await sendPair();
    engine.render = () => ({ width: 104, height: 48, agreement: 0.2 });
    for (let i = 0; i < 100; i++) await sendPair();
    assert.equal(engine.calibrations.length, 2, 'drift for 4 s calibrated again once');
    assert.ok(logger.lines.some(({ message }) => message.includes('camera pano: its inputs no longer agree in the overlap')));
    // it stays low (the new calibration did not help): the next one waits for the rate limit
    for (let i = 0; i < 200; i++) await sendPair();
    assert.equal(engine.calibrations.length, 2);
    clock.now += SETTINGS.recalibrateMinMs;
    for (let i = 0; i < 100; i++) await sendPair();
    assert.equal(engine.calibrations.length, 3);
    assert.equal(published.length, engine.renders, 'every pair was rendered while it drifted');
    assert.equal(panorama.tick().agreement, 0.2);
  });

  test('a requested calibration runs at the next pair, whatever the rate limit', async () => {
    const { panorama, engine, sendPair } = await rig();
    await sendPair();
    panorama.calibrateNow();
    await sendPair();
    panorama.calibrateNow();
    await sendPair();
    assert.equal(engine.calibrations.length, 3);
  });

  test('one render at a time: pairs that come meanwhile are skipped but the newest, and counted', async () => {
    const { panorama, engine, published, sendPair } = await rig();
    await sendPair();
    const slow = new Deferred<Omit<RenderedPanorama, 'jpeg'>>();
    engine.render = () => slow.promise;
    for (let i = 0; i < 6; i++) await sendPair();
    engine.render = () => ({ width: 104, height: 48 });
    slow.resolve({ width: 104, height: 48 });
    await settle();
    assert.equal(engine.maxInFlight, 1);
    // the first pair's render, the slow one, then only the newest of the five that came while it ran
    assert.equal(published.length, 3);
    assert.equal(panorama.tick().skipped, 4);
  });

  test('an input that sends nothing for the timeout is an error naming it; when it sends again the panorama is live again', async () => {
    const { panorama, sendPair, send, clock } = await rig();
    await sendPair();
    clock.now += SETTINGS.inputTimeoutMs / 2;
    send(0);
    clock.now += SETTINGS.inputTimeoutMs / 2 + 100;
    send(0);
    const status = panorama.tick();
    assert.equal(status.state, 'error');
    assert.equal(status.reason, 'input "right" sends no frames');
    await sendPair();
    assert.equal(panorama.tick().state, 'live');
  });

  test('inputs that both send but never within the tolerance: an error saying so, with the missed counts', async () => {
    const { panorama, send, clock } = await rig();
    // 10 fps each, 50 ms apart: every frame is 50 ms from the nearest of the other input
    for (let i = 0; i < 150; i++) {
      send(0);
      send(1, { offsetMs: 50 });
      clock.now += 100;
    }
    const status = panorama.tick();
    assert.equal(status.state, 'error');
    assert.match(status.reason ?? '', /do not pair: no two within 20 ms/);
    assert.ok(status.missed[0] + status.missed[1] > 250, `missed ${status.missed}`);
  });

  test('a registry problem (an input gone) is an error, and its frames are not used', async () => {
    const { panorama, engine, sendPair } = await rig();
    panorama.setProblem('input "right" is not a camera');
    await sendPair();
    assert.equal(engine.calibrations.length, 0);
    assert.deepEqual({ state: panorama.tick().state, reason: panorama.tick().reason }, { state: 'error', reason: 'input "right" is not a camera' });
    panorama.setProblem(undefined);
    await sendPair();
    assert.equal(panorama.tick().state, 'live');
  });

  test('the library throwing is a state, not a crash: calibration and render failures are errors with the reason', async () => {
    const engine = new FakeEngine();
    engine.outcome = () => Promise.reject(new Error('OpenCV: bad allocation'));
    const { panorama, sendPair, clock } = await rig({ engine });
    await sendPair();
    assert.deepEqual([panorama.tick().state, panorama.tick().reason], ['error', 'calibration failed: OpenCV: bad allocation']);
    engine.outcome = () => ({ ok: true, calibration: calibration() });
    engine.render = () => Promise.reject(new Error('imdecode failed'));
    clock.now += SETTINGS.recalibrateMinMs;
    await sendPair();
    assert.deepEqual([panorama.tick().state, panorama.tick().reason], ['error', 'cannot render the panorama: imdecode failed']);
    engine.render = () => ({ width: 104, height: 48 });
    await sendPair();
    assert.equal(panorama.tick().state, 'live');
  });

  test('a pair the library refuses (a frame that is no JPEG) is dropped and counted, and the panorama stays live', async () => {
    const { panorama, engine, sendPair } = await rig();
    await sendPair();
    engine.render = () => Promise.reject(new UnusablePairError('input 1 is not a JPEG'));
    await sendPair();
    const status = panorama.tick();
    assert.equal(status.state, 'live');
    assert.equal(status.skipped, 1);
  });

  test('a stored calibration the library cannot render is dropped, and calibrated anew', async () => {
    const engine = new FakeEngine();
    const renderer = engine.renderer.bind(engine);
    let first = true;
    engine.renderer = async (calibration) => {
      if (first) {
        first = false;
        throw new Error('homography is singular');
      }
      return renderer(calibration);
    };
    const { panorama, sendPair } = await rig({ engine, stored: [{ camera: 'pano', inputs: ['left', 'right'], calibration: calibration() }] });
    await sendPair();
    assert.equal(engine.calibrations.length, 1);
    assert.equal(panorama.tick().state, 'live');
  });

  test('every state change is reported at once; stop() unsubscribes both inputs and nothing is published after', async () => {
    const { panorama, statuses, subscribed, published, sendPair } = await rig();
    assert.deepEqual(subscribed.sort(), ['left', 'right']);
    await sendPair();
    assert.deepEqual([...new Set(statuses.map((status) => status.state))], ['calibrating', 'live']);
    await panorama.stop();
    assert.deepEqual(subscribed, []);
    const count = published.length;
    await sendPair();
    assert.equal(published.length, count);
  });
});

describe('stitchState', () => {
  const base: StitchFacts = { silentInputs: [], awaitedInputs: [], calibrating: false, calibrated: true, published: true };

  test('most serious first: the registry, a silent input, unpaired frames, a failed calibration with nothing to show', () => {
    assert.deepEqual(stitchState({ ...base, problem: 'p', silentInputs: ['a'] }), { state: 'error', reason: 'p' });
    assert.deepEqual(stitchState({ ...base, silentInputs: ['a', 'b'], unpaired: 'u' }), { state: 'error', reason: 'inputs "a" and "b" send no frames' });
    assert.deepEqual(stitchState({ ...base, unpaired: 'u', calibrating: true }), { state: 'error', reason: 'u' });
    assert.deepEqual(stitchState({ ...base, calibrated: false, calibrationFailure: 'not enough overlap' }), { state: 'error', reason: 'not enough overlap' });
  });

  test('calibrating while features are matched, or while waiting for frames; live once frames are published', () => {
    assert.equal(stitchState({ ...base, calibrated: false, published: false, awaitedInputs: ['b'] }).reason, 'waiting for frames from "b"');
    assert.equal(stitchState({ ...base, calibrated: false, calibrating: true, calibrationFailure: 'x' }).state, 'calibrating');
    assert.equal(stitchState({ ...base, published: false }).state, 'calibrating');
    assert.deepEqual(stitchState(base), { state: 'live' });
    // a recalibration that failed keeps the previous one on screen, and says so
    assert.deepEqual(stitchState({ ...base, calibrationFailure: 'not enough overlap' }), { state: 'live', reason: 'calibrating again failed (not enough overlap); the previous calibration is shown' });
  });
});

/** The fake frames' "JPEG" is their size as text (`64x48`), so the fake engine knows what it calibrates. */
function sizeOf(jpeg: Buffer): { width: number; height: number } {
  const [width, height] = jpeg.toString().split('x').map(Number);
  return { width: width!, height: height! };
}
