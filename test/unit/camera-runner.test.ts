import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import type { SourceVerdict } from '@vigil/config';
import { cameraConfigSchema, classifySource, type CameraStatus } from '@vigil/contracts';
import { StderrTail } from '@vigil/kernel';
import type { CaptureJob, CaptureProcessEvents, CaptureStats, PlannedPipeline } from '@vigil/media';
import { MetricsService } from '@vigil/metrics';
import { CameraRunner } from '../../apps/ingest/src/cameras/camera-runner';
import { IngestMetrics } from '../../apps/ingest/src/cameras/ingest-metrics';
import { advance, LogLines, settle } from '../support/fake-child';

const URL = 'rtsp://admin:hunter2@cam.local/live';
const WATCHDOG_MS = 4000;
const RECONNECT = { minMs: 1000, maxMs: 8000 };

/** A capture process that captures, ends or hangs when the test says so. */
class FakeCapture extends EventEmitter<CaptureProcessEvents> {
  readonly stderr = new StderrTail();
  stopped = false;
  killed = false;
  private frames = 0;
  private lastFrameAt?: number;

  constructor(readonly job: CaptureJob) {
    super();
  }

  /** `count` more frames captured, the last one now */
  capture(count = 5): void {
    this.frames += count;
    this.lastFrameAt = Date.now();
    this.emit('stats', this.stats());
  }

  end(reason: 'eos' | 'error', message: string): void {
    this.emit('ended', { reason, message, stats: this.stats() });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.end('eos', 'stopped');
  }

  kill(): void {
    this.killed = true;
    this.end('error', 'capture process killed by SIGKILL');
  }

  private stats(): CaptureStats {
    return { frames: this.frames, dropped: 0, oversized: 0, lastSeq: this.job.seqStart + this.frames - 1, lastFrameAt: this.lastFrameAt, width: 640, height: 360 } as CaptureStats;
  }
}

function harness(options: { verdict?: () => Promise<SourceVerdict> | SourceVerdict } = {}) {
  const captures: FakeCapture[] = [];
  const statuses: CameraStatus[] = [];
  const logs = new LogLines();
  const metrics = new IngestMetrics(new MetricsService());
  const camera = cameraConfigSchema.parse({ id: 'door', url: URL });
  const plan: PlannedPipeline = { launch: `rtspsrc location=${URL} ! fakesink`, launchAlone: `rtspsrc location=${URL} ! fakesink`, masked: 'rtspsrc location=rtsp://***@cam.local/live ! fakesink', decoder: 'avdec_h264', live: true, decoderReason: 'avdec_h264 (no NVDEC)', loops: false };
  const runner = new CameraRunner(camera, {
    planner: { plan: async () => plan },
    policy: { admit: async () => (options.verdict ? options.verdict() : { ok: true, source: classifySource(URL) }) },
    registry: { setStatus: async (status: CameraStatus) => void statuses.push(status) },
    metrics,
    config: { watchdogMs: WATCHDOG_MS, reconnect: RECONNECT, decoderPreference: 'auto', redisUrl: 'redis://127.0.0.1:1', frameMaxBytes: 1 << 20, instanceId: 'test' },
    logger: logs,
    startCapture: (job) => {
      const capture = new FakeCapture(job);
      captures.push(capture);
      return capture;
    },
  });
  return {
    runner,
    captures,
    statuses,
    logs,
    metrics,
    get last(): FakeCapture {
      return captures.at(-1)!;
    },
  };
}


async function reconnects(metrics: IngestMetrics): Promise<number> {
  return (await metrics.reconnects.get()).values.find((value) => value.labels.camera === 'door')?.value ?? 0;
}

describe('CameraRunner', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 5_000_000 }));
  afterEach(() => mock.timers.reset());

  test('connect -> live: the capture gets the plan, frames make it live, counted; the status says so', async () => {
    const h = harness();
    h.runner.start();
    await settle();
    assert.equal(h.captures.length, 1);
    assert.equal(h.last.job.launch, `rtspsrc location=${URL} ! fakesink`);
    assert.equal(h.runner.status().state, 'connecting');
    h.last.capture(5);
    const status = h.runner.status();
    assert.equal(status.state, 'live');
    assert.equal(status.frames, 5);
    assert.deepEqual([status.width, status.height, status.decoder], [640, 360, 'avdec_h264']);
    assert.ok(!status.pipeline?.includes('hunter2'));
    assert.deepEqual(h.logs.at('log'), ['camera door: decoder avdec_h264 (no NVDEC)', 'camera door: live']);
    await advance(1000);
    assert.equal(h.statuses.at(-1)?.state, 'live', 'the status reaches the registry');
    await h.runner.stop();
  });

  test('a failing capture: error with its reason (masked), a retry after the backoff within its jitter, a reconnect counted', async () => {
    const h = harness();
    h.runner.start();
    await settle();
    h.last.capture(3);
    h.last.end('error', `rtspsrc0: Unauthorized for ${URL}`);
    assert.equal(h.runner.status().state, 'error');
    assert.equal(h.runner.status().reason, 'rtspsrc0: Unauthorized for rtsp://admin:***@cam.local/live');
    // the default jitter is 20 %: the first retry comes between 800 and 1200 ms
    await advance(700);
    assert.equal(h.captures.length, 1, 'no retry before 800 ms');
    await advance(600);
    assert.equal(h.captures.length, 2, 'a retry by 1200 ms');
    assert.equal(h.runner.status().reconnects, 1);
    assert.equal(await reconnects(h.metrics), 1);
    assert.equal(h.last.job.seqStart, 3, 'sequence numbers go on where the last process left off');
    await h.runner.stop();
  });

  test('the same failure again is a debug line, not another warning; the first comes with the stderr tail', async () => {
    const h = harness();
    h.runner.start();
    await settle();
    h.last.stderr.write(`GStreamer warning: could not connect to ${URL}\n`);
    h.last.end('error', 'rtspsrc0: Could not open resource');
    await advance(1300);
    h.last.end('error', 'rtspsrc0: Could not open resource');
    const warnings = h.logs.at('warn');
    assert.deepEqual(warnings, ['camera door: error (rtspsrc0: Could not open resource)', 'camera door: stderr: GStreamer warning: could not connect to rtsp://admin:***@cam.local/live'], 'the tail once, a line each, masked');
    assert.ok(h.logs.at('debug').some((line) => line.startsWith('camera door: error (rtspsrc0: Could not open resource), again')));
    await h.runner.stop();
  });

  test('a stream that ends is offline, and is retried', async () => {
    const h = harness();
    h.runner.start();
    await settle();
    h.last.capture();
    h.last.end('eos', 'end of stream');
    assert.deepEqual([h.runner.status().state, h.runner.status().reason], ['offline', 'the stream ended']);
    await advance(1300);
    assert.equal(h.captures.length, 2);
    await h.runner.stop();
  });

  test('stall -> the watchdog kills the capture, the state is stalled with why; never connected, and stopped sending', async () => {
    const h = harness();
    h.runner.start();
    await settle();
    await advance(WATCHDOG_MS + 600);
    assert.equal(h.captures[0]!.killed, true);
    assert.deepEqual([h.runner.status().state, h.runner.status().reason], ['stalled', 'no frame within 4 s of connecting']);
    await advance(1300);
    h.last.capture();
    assert.equal(h.runner.status().state, 'live');
    await advance(WATCHDOG_MS + 600);
    assert.equal(h.captures[1]!.killed, true);
    assert.deepEqual([h.runner.status().state, h.runner.status().reason], ['stalled', 'no frame for 4 s']);
    await h.runner.stop();
  });

  test('a camera the source policy refuses: no capture, error with the reason, asked again after the backoff', async () => {
    let asked = 0;
    const h = harness({
      verdict: () => {
        asked += 1;
        return { ok: false, field: 'url', reason: '169.254.169.254 is in 169.254.0.0/16' };
      },
    });
    h.runner.start();
    await settle();
    assert.equal(h.captures.length, 0);
    assert.deepEqual([h.runner.status().state, h.runner.status().reason], ['error', 'refused by the source policy: url: 169.254.169.254 is in 169.254.0.0/16']);
    assert.deepEqual(h.logs.at('warn'), ['camera door: error (refused by the source policy: url: 169.254.169.254 is in 169.254.0.0/16)']);
    await advance(1300);
    assert.equal(asked, 2);
    assert.equal(h.captures.length, 0);
    await h.runner.stop();
  });

  test('a stop while the policy check is under way: no capture starts, nothing is retried, no status is written after', async () => {
    let answer!: (verdict: SourceVerdict) => void;
    const h = harness({ verdict: () => new Promise((resolve) => (answer = resolve)) });
    h.runner.start();
    await settle();
    const stopped = h.runner.stop();
    answer({ ok: true, source: classifySource(URL) });
    await stopped;
    const written = h.statuses.length;
    await advance(10_000);
    assert.equal(h.captures.length, 0);
    assert.equal(h.statuses.length, written);
  });

  test('a stop of a live camera stops its capture process, with no warning and no retry', async () => {
    const h = harness();
    h.runner.start();
    await settle();
    h.last.capture();
    await h.runner.stop();
    assert.equal(h.last.stopped, true);
    await advance(10_000);
    assert.equal(h.captures.length, 1);
    assert.deepEqual(h.logs.at('warn'), []);
  });
});
