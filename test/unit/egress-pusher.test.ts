import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { cameraEgressSchema, type CameraEgressInput, type EgressStatus } from '@vigil/contracts';
import { StderrTail } from '@vigil/kernel';
import type { FfmpegPushEvents, PushProcess } from '../../apps/egress/src/push/ffmpeg-push';
import { Pusher, type PusherOptions } from '../../apps/egress/src/push/pusher';
import type { AudioPlan } from '../../apps/egress/src/push/audio-input';
import { MAX_LATENESS_MS } from '../../apps/egress/src/push/capture-clock';
import { matroskaFrame, matroskaHeader } from '../../apps/egress/src/push/matroska-mjpeg';
import type { PushSpec } from '../../apps/egress/src/push/push-args';
import { advance, LogLines, settle } from '../support/fake-child';

const URL = 'rtmp://media.local/live/s3cret-key';
const STALL_MS = 4000;
const IDLE_MS = 1000;
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);

/** An ffmpeg push that sends, dies or hangs when the test says so. */
class FakePush implements PushProcess {
  running = true;
  ended = false;
  killed = false;
  readonly written: Buffer[] = [];
  readonly stderr = new StderrTail();
  private sent = 0;

  constructor(
    readonly spec: PushSpec,
    private readonly events: FfmpegPushEvents,
  ) {}

  readonly backedUp = false;

  write(jpeg: Buffer): boolean {
    this.written.push(jpeg);
    return true;
  }

  /** ffmpeg reports frames sent */
  send(frames = 5): void {
    this.sent += frames;
    this.events.progress(this.sent);
  }

  die(ending: string): void {
    if (!this.running) return;
    this.running = false;
    this.events.exit({ ending, stderr: this.stderr });
  }

  async end(): Promise<void> {
    this.ended = true;
    this.die('exit code 0');
  }

  async kill(): Promise<void> {
    this.killed = true;
    this.die('ended by SIGKILL');
  }
}

function harness(egress: Partial<CameraEgressInput> = {}, options: Partial<PusherOptions> = {}) {
  const pushes: FakePush[] = [];
  const logs = new LogLines();
  const states: EgressStatus[] = [];
  const reconnects: string[] = [];
  const pusher = new Pusher({
    camera: 'gate',
    config: cameraEgressSchema.parse({ url: URL, fps: 10, ...egress }),
    encoder: { name: 'x264' },
    reconnect: { minMs: 1000, maxMs: 8000 },
    idleMs: IDLE_MS,
    stallMs: STALL_MS,
    logger: logs,
    events: { state: (status) => states.push(status), reconnect: (camera) => reconnects.push(camera) },
    launcher: (spec) => (_ffmpeg, events) => {
      const push = new FakePush(spec, events);
      pushes.push(push);
      return push;
    },
    ...options,
  });
  let seq = 0;
  return {
    pusher,
    pushes,
    logs,
    states,
    reconnects,
    get last(): FakePush {
      return pushes.at(-1)!;
    },
    /** one frame now, at `width` x 180, captured `lateMs` ago */
    offer(width = 320, lateMs = 0): void {
      pusher.offer({ camera: 'gate', stream: 'annotated', seq: seq++, ts: Date.now() - lateMs, width, height: 180, format: 'jpeg', data: JPEG });
    },
    /** frames at 10 a second for `ms` of fake time */
    async feed(ms: number, width = 320): Promise<void> {
      for (let done = 0; done < ms; done += 100) {
        this.offer(width);
        mock.timers.tick(100);
        await settle();
      }
    },
  };
}


describe('Pusher', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 7_000_000 }));
  afterEach(() => mock.timers.reset());

  test('frames start ffmpeg at their size and rate: connecting, then live once ffmpeg sends; frames go to its stdin', async () => {
    const h = harness();
    assert.deepEqual([h.pusher.status().state, h.pusher.status().reason], ['waiting', 'no frames yet']);
    await h.feed(300);
    assert.equal(h.pushes.length, 1);
    assert.deepEqual([h.last.spec.fps, h.last.spec.url], [10, URL]);
    assert.equal(h.pusher.status().state, 'connecting');
    h.last.send();
    await h.feed(300);
    const status = h.pusher.status();
    assert.equal(status.state, 'live');
    assert.ok(status.pushed >= 2 && h.last.written.length === status.pushed);
    assert.equal(status.url, 'rtmp://media.local/live/***');
    assert.deepEqual(h.logs.at('log'), ['camera gate: egress to rtmp://media.local/live/*** connecting', 'camera gate: egress to rtmp://media.local/live/*** live']);
    await h.pusher.close();
    assert.equal(h.last.ended, true, 'close ends the stream cleanly');
  });

  test('ffmpeg dies: error with its ending and last stderr line (stream key masked), retried after the backoff, a reconnect counted', async () => {
    const h = harness();
    await h.feed(200);
    h.last.send();
    h.last.stderr.write(`[rtmp] Server error: cannot publish ${URL}\n`);
    h.last.die('ended by SIGKILL');
    const status = h.pusher.status();
    assert.equal(status.state, 'error');
    assert.equal(status.reason, 'ffmpeg ended by SIGKILL: [rtmp] Server error: cannot publish rtmp://media.local/live/***');
    assert.equal(h.logs.at('warn').filter((line) => !line.includes(': stderr: ')).length, 1, 'one warning, and its stderr tail a line each');
    assert.ok(!h.logs.lines.some((line) => line.text.includes('s3cret')), 'no log line shows the stream key');
    // the default jitter is 20 %: the first retry comes between 800 and 1200 ms
    await h.feed(700);
    assert.equal(h.pushes.length, 1, 'no retry before 800 ms');
    await h.feed(600);
    assert.equal(h.pushes.length, 2, 'a retry by 1200 ms');
    assert.deepEqual(h.reconnects, ['gate']);
    assert.equal(h.pusher.status().reconnects, 1);
    h.last.send();
    assert.equal(h.pusher.status().state, 'live');
    await h.pusher.close();
  });

  test('the watchdog: ffmpeg that never sends is killed, and so is one that stops sending; each with its reason', async () => {
    const h = harness();
    await h.feed(STALL_MS + 700);
    assert.equal(h.pushes[0]!.killed, true);
    assert.deepEqual([h.pusher.status().state, h.pusher.status().reason], ['error', 'no frame reached the server within 4 s']);
    await h.feed(1300);
    h.last.send();
    await h.feed(STALL_MS + 700);
    assert.equal(h.pushes[1]!.killed, true);
    assert.deepEqual([h.pusher.status().state, h.pusher.status().reason], ['error', 'stalled: ffmpeg sent no frame for 4 s']);
    await h.pusher.close();
  });

  test('frames that stop: ffmpeg is ended and the push waits, with no restart; frames that come back start it again', async () => {
    const h = harness();
    await h.feed(300);
    h.last.send();
    await advance(IDLE_MS + 700);
    assert.equal(h.pushes[0]!.ended, true);
    assert.deepEqual([h.pusher.status().state, h.pusher.status().reason], ['waiting', 'no frames for 1 s']);
    await advance(30_000);
    assert.equal(h.pushes.length, 1);
    assert.equal(h.pusher.status().reconnects, 0);
    await h.feed(300);
    assert.equal(h.pushes.length, 2);
    assert.equal(h.pusher.status().reconnects, 0);
    await h.pusher.close();
  });

  test('a target the network policy refuses: no ffmpeg, error with why, asked again after the backoff', async () => {
    let answer: string | undefined = 'host "media.local" resolves to 169.254.169.254';
    const asked: string[] = [];
    const h = harness({}, { admit: async (url) => (asked.push(url), answer) });
    await h.feed(300);
    assert.equal(h.pushes.length, 0);
    assert.deepEqual([h.pusher.status().state, h.pusher.status().reason], ['error', 'refused by the network policy: host "media.local" resolves to 169.254.169.254']);
    answer = undefined;
    await h.feed(1300);
    assert.equal(asked.length, 2);
    assert.equal(h.pushes.length, 1);
    await h.pusher.close();
  });

  test('a close during the policy check: no ffmpeg starts, and close() waits for the check', async () => {
    let answer!: (problem: string | undefined) => void;
    const h = harness({}, { admit: () => new Promise((resolve) => (answer = resolve)) });
    h.offer();
    await settle();
    let closed = false;
    const closing = h.pusher.close().then(() => (closed = true));
    await settle();
    assert.equal(closed, false);
    answer(undefined);
    await closing;
    assert.equal(h.pushes.length, 0);
    await advance(10_000);
    assert.equal(h.pushes.length, 0);
  });

  test('frames of another size: ffmpeg is ended and started again at the new size at once, not counted as a reconnect', async () => {
    const h = harness();
    await h.feed(200);
    h.last.send();
    await h.feed(200, 640);
    assert.equal(h.pushes[0]!.ended, true);
    assert.equal(h.pushes.length, 2);
    assert.equal(h.pusher.status().width, 640);
    assert.equal(h.pusher.status().reconnects, 0);
    await h.pusher.close();
  });

  test('no encoder: the push stays in error with why, frames are ignored', async () => {
    const h = harness({}, { encoder: { error: 'no H.264 encoder works here' } });
    await h.feed(500);
    assert.deepEqual([h.pusher.status().state, h.pusher.status().reason], ['error', 'no H.264 encoder works here']);
    assert.equal(h.pushes.length, 0);
    await h.pusher.close();
  });
});

describe('Pusher: capture times and audio', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 7_000_000 }));
  afterEach(() => mock.timers.reset());

  test("ffmpeg's stdin: the Matroska header, then each frame at its capture time on the push's timeline", async () => {
    const h = harness();
    await h.feed(300);
    const epoch = h.last.spec.epochMs;
    assert.ok(epoch <= Date.now() - MAX_LATENESS_MS, 'the timeline starts before any frame the push may take');
    assert.deepEqual(h.last.written[0]!.subarray(0, matroskaHeader(320, 180).length), matroskaHeader(320, 180));
    const before = h.last.written.length;
    const now = Date.now();
    h.offer(320, 60);
    h.offer(320, 10);
    // bug guarded: frames stamped on their arrival, not when the picture was taken
    assert.deepEqual(h.last.written.slice(before), [matroskaFrame(now - 60 - epoch, JPEG), matroskaFrame(now - 10 - epoch, JPEG)]);
    assert.equal(h.pusher.status().latencyMs, 10);
    assert.equal(h.pusher.status().restamped, 0);
    h.offer(320, MAX_LATENESS_MS + 1);
    assert.equal(h.pusher.status().restamped, 1, 'a frame too late for its capture time is stamped on arrival, and counted');
    await h.pusher.close();
  });

  test('audio found at start: the launch gets its input, the status says it is carried', async () => {
    const plan: AudioPlan = { input: { kind: 'rtsp', url: 'rtsp://u:pw@cam/x', transport: 'tcp' }, codec: 'aac', synced: true };
    let asked = 0;
    const h = harness({}, { audio: async () => (asked++, plan) });
    assert.equal(h.pusher.status().audio, undefined, 'not known before a start');
    await h.feed(300);
    assert.deepEqual(h.last.spec.audio, plan.input);
    assert.deepEqual(h.pusher.status().audio, { carried: true, codec: 'aac', synced: true });
    h.last.send();
    h.last.die('exit code 1');
    await h.feed(1300);
    assert.equal(h.pushes.length, 2);
    assert.equal(asked, 2, 'asked again at each start');
    await h.pusher.close();
  });

  test('a start with audio that fails before sending anything (the camera refused a second session): the next goes video only', async () => {
    const plan: AudioPlan = { input: { kind: 'rtsp', url: 'rtsp://u:s3cretpw@cam/x', transport: 'tcp' }, codec: 'aac', synced: true };
    const h = harness({}, { audio: async () => plan, sourceUrl: 'rtsp://u:s3cretpw@cam/x' });
    await h.feed(300);
    h.last.stderr.write("[concat] Impossible to open 'rtsp://u:s3cretpw@cam/x'\n");
    h.last.die('exit code 1');
    await h.feed(1300);
    assert.equal(h.pushes.length, 2);
    assert.equal(h.pushes[1]!.spec.audio, undefined, 'the picture does not wait for the sound');
    const audio = h.pusher.status().audio!;
    assert.equal(audio.carried, false);
    assert.match(audio.reason ?? '', /^the last start with audio failed before sending anything, so this one is video only \(ffmpeg exit code 1: /);
    assert.ok(!audio.reason!.includes('s3cretpw'), audio.reason);
    h.last.die('exit code 1');
    await h.feed(2600);
    assert.deepEqual(h.last.spec.audio, plan.input, 'the start after tries the sound again');
    await h.pusher.close();
  });

  test('no audio: video only, and the status says why', async () => {
    const h = harness({}, { audio: async () => ({ none: 'the source has no audio stream' }) });
    await h.feed(300);
    assert.equal(h.last.spec.audio, undefined);
    assert.deepEqual(h.pusher.status().audio, { carried: false, reason: 'the source has no audio stream' });
    await h.pusher.close();
  });

  test('audio: false: the source is not even looked at', async () => {
    let asked = 0;
    const h = harness({ audio: false }, { audio: async () => (asked++, { none: 'x' }) });
    assert.deepEqual(h.pusher.status().audio, { carried: false, reason: 'turned off (audio: false)' });
    await h.feed(300);
    assert.equal(h.pushes.length, 1);
    assert.equal(h.last.spec.audio, undefined);
    assert.equal(asked, 0);
    await h.pusher.close();
  });

  test("what ffmpeg says of the camera's URL is masked like the target's", async () => {
    const h = harness({}, { sourceUrl: 'rtsp://viewer:s3cretpw@cam.local/x' });
    await h.feed(200);
    h.last.stderr.write("[concat] Impossible to open 'rtsp://viewer:s3cretpw@cam.local/x'\n");
    h.last.die('exit code 1');
    assert.ok(!h.pusher.status().reason?.includes('s3cretpw'), h.pusher.status().reason);
    assert.ok(!h.logs.lines.some((line) => line.text.includes('s3cretpw')));
    await h.pusher.close();
  });
});
