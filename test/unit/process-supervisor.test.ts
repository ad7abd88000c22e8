import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { type Attempt, MAX_REASON, ProcessSupervisor, type ProcessSupervisorOptions, type Refusal, StderrTail, type SupervisedChild } from '@vigil/kernel';
import { advance, FakeChild, LogLines, settle } from '../support/fake-child';

type State = 'idle' | 'starting' | 'running' | 'failed' | 'stalled' | 'ended';
const STATES = { idle: 'idle', starting: 'starting', running: 'running', failed: 'failed', stalled: 'stalled' } as const;
const BACKOFF = { minMs: 1000, maxMs: 8000, jitter: 0.2 };
const WATCHDOG_MS = 4000;

/** A supervisor whose launches are fake children, each kept in `children`; `answer` may answer launches instead. */
function harness(options: Partial<ProcessSupervisorOptions<State>> = {}) {
  const children: FakeChild[] = [];
  const logs = new LogLines();
  const changes: { state: State; reason?: string; repeat: boolean }[] = [];
  let next: ((attempt: Attempt<State>) => Promise<SupervisedChild | Refusal<State>> | SupervisedChild | Refusal<State>) | undefined;
  const supervisor = new ProcessSupervisor<State>({
    name: 'thing t1',
    states: STATES,
    launch: (attempt) => {
      if (next) return next(attempt);
      const child = new FakeChild(attempt as Attempt<string>);
      children.push(child);
      return child;
    },
    backoff: BACKOFF,
    watchdog: { ms: WATCHDOG_MS, reason: (phase) => `quiet while ${phase}` },
    logger: logs,
    onState: ({ state, reason }, repeat) => changes.push({ state, reason, repeat }),
    random: () => 0.5,
    ...options,
  });
  return {
    supervisor,
    children,
    logs,
    changes,
    answer(launch: typeof next) {
      next = launch;
    },
    get last(): FakeChild {
      return children.at(-1)!;
    },
  };
}


describe('ProcessSupervisor', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  test('a start launches a child: starting, then running at its first progress; the snapshot tells state and since', async () => {
    const h = harness();
    assert.equal(h.supervisor.current.state, 'starting');
    h.supervisor.start();
    h.supervisor.start(); // a second start while one is being started: nothing more
    await settle();
    assert.equal(h.children.length, 1);
    await advance(300);
    h.last.progress();
    assert.deepEqual(h.supervisor.current, { state: 'running', reason: undefined, since: 1_000_300, restarts: 0 });
    assert.deepEqual(h.logs.at('log'), ['thing t1: running']);
    await h.supervisor.stop();
  });

  test('a failure: the state says why, a retry comes after the backoff (within its jitter), counted as a restart', async () => {
    for (const [random, delay] of [
      [0, 800],
      [0.999_999, 1200],
    ] as const) {
      const h = harness({ random: () => random });
      h.supervisor.start();
      await settle();
      h.last.die('exit code 1');
      assert.deepEqual([h.supervisor.current.state, h.supervisor.current.reason], ['failed', 'exit code 1']);
      await advance(delay - 1);
      assert.equal(h.children.length, 1, `no retry before ${delay} ms`);
      await advance(1);
      assert.equal(h.children.length, 2, `a retry at ${delay} ms`);
      assert.equal(h.supervisor.current.restarts, 1);
      await h.supervisor.stop();
    }
  });

  test('backoff doubles up to its cap, and starts again from the shortest after a run that stayed healthy', async () => {
    const retries: number[] = [];
    const h = harness({ onRetry: () => retries.push(Date.now()) });
    h.supervisor.start();
    await settle();
    const delays: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const before = h.children.length;
      const failedAt = Date.now();
      h.children.at(-1)!.die('exit code 1');
      while (h.children.length === before) await advance(100);
      delays.push(Date.now() - failedAt);
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 8000]);
    assert.equal(retries.length, 5);
    // healthy for 10 s: the next failure waits the shortest delay again
    h.children.at(-1)!.progress();
    for (let i = 0; i < 25; i += 1) {
      await advance(400);
      h.children.at(-1)!.progress();
    }
    const before = h.children.length;
    h.children.at(-1)!.die('exit code 1');
    await advance(1000);
    assert.equal(h.children.length, before + 1);
    await h.supervisor.stop();
  });

  test('the first failure of a kind is a warning with the stderr tail; its repeats are debug lines; a healthy run resets that', async () => {
    const h = harness();
    const stderr = new StderrTail();
    stderr.write('Connection refused\nlast words\n');
    h.supervisor.start();
    await settle();
    h.last.die('exit code 1', { stderr });
    await advance(1000);
    h.last.die('exit code 1', { stderr });
    await advance(2000);
    assert.deepEqual(h.logs.at('warn'), ['thing t1: failed (exit code 1)', 'thing t1: stderr: Connection refused', 'thing t1: stderr: last words'], 'the tail once, with the first failure, a line each');
    assert.ok(h.logs.at('debug').includes('thing t1: failed (exit code 1), again (attempt 2)'));
    assert.ok(h.logs.at('debug').includes('thing t1: stderr: Connection refused'));
    h.last.progress();
    h.last.die('exit code 1');
    assert.equal(h.logs.at('warn').length, 4, 'after a good run the same failure is news again');
    await h.supervisor.stop();
  });

  test('a stop we asked for logs no failure and dumps no tail, and nothing restarts', async () => {
    const h = harness();
    h.supervisor.start();
    await settle();
    h.last.progress();
    await h.supervisor.stop();
    assert.ok(h.last.stopped);
    await advance(60_000);
    assert.equal(h.children.length, 1);
    assert.deepEqual(h.logs.at('warn'), []);
    assert.equal(h.supervisor.current.state, 'running');
  });

  test('the watchdog kills a child that makes no progress after starting, and one that stops making it, each with its reason', async () => {
    const h = harness();
    h.supervisor.start();
    await settle();
    await advance(WATCHDOG_MS - 500);
    assert.equal(h.last.killed, false);
    await advance(1000);
    assert.equal(h.children[0]!.killed, true);
    assert.deepEqual([h.supervisor.current.state, h.supervisor.current.reason], ['stalled', 'quiet while starting']);
    await advance(1000); // the retry
    assert.equal(h.children.length, 2);
    h.children[1]!.progress();
    await advance(WATCHDOG_MS - 500);
    h.children[1]!.progress();
    await advance(WATCHDOG_MS - 500);
    assert.equal(h.children[1]!.killed, false, 'progress feeds the watchdog');
    await advance(1000);
    assert.equal(h.children[1]!.killed, true);
    assert.deepEqual([h.supervisor.current.state, h.supervisor.current.reason], ['stalled', 'quiet while running']);
    await h.supervisor.stop();
  });

  test('a launch that never returns is given up on by the watchdog; the child it brings late is stopped at once', async () => {
    const h = harness();
    let bring!: (child: SupervisedChild) => void;
    let late: FakeChild | undefined;
    h.answer(
      (attempt) =>
        new Promise((resolve) => {
          late = new FakeChild(attempt as Attempt<string>);
          bring = resolve;
        }),
    );
    h.supervisor.start();
    await advance(WATCHDOG_MS + 500);
    assert.deepEqual([h.supervisor.current.state, h.supervisor.current.reason], ['stalled', 'quiet while starting']);
    bring(late!);
    await settle();
    assert.equal(late!.stopped, true);
    await h.supervisor.stop();
  });

  test('a stop while the child is being started: stop() waits for it and stops it; no state change, no retry', async () => {
    const h = harness();
    let bring!: () => void;
    let child!: FakeChild;
    let aborted = false;
    h.answer(
      (attempt) =>
        new Promise((resolve) => {
          child = new FakeChild(attempt as Attempt<string>);
          attempt.signal.addEventListener('abort', () => (aborted = true));
          bring = () => resolve(child);
        }),
    );
    h.supervisor.start();
    await settle();
    let stopped = false;
    const stop = h.supervisor.stop().then(() => (stopped = true));
    await settle();
    assert.equal(aborted, true, 'the launch hears of the stop');
    assert.equal(stopped, false, 'stop() waits for the child being started');
    bring();
    await stop;
    assert.equal(child.stopped, true);
    assert.deepEqual(h.changes, []);
    await advance(60_000);
  });

  test('a refusal is a failure with its reason, retried; one no retry can mend waits for the next start()', async () => {
    const h = harness();
    h.answer(() => ({ refused: 'refused by the policy: blocked' }));
    h.supervisor.start();
    await settle();
    assert.deepEqual([h.supervisor.current.state, h.supervisor.current.reason], ['failed', 'refused by the policy: blocked']);
    h.answer(() => ({ refused: 'bad URL', retry: false }));
    await advance(1000);
    assert.equal(h.supervisor.current.reason, 'bad URL');
    await advance(60_000);
    assert.equal(h.supervisor.current.restarts, 1, 'no retry after a refusal that says none would help');
    h.answer(undefined);
    h.supervisor.start();
    await settle();
    assert.equal(h.children.length, 1);
    h.answer(() => {
      throw new Error('planner blew up');
    });
    h.last.die('exit code 1');
    await advance(2000);
    assert.equal(h.supervisor.current.reason, 'planner blew up', 'a throwing launch is a refusal, not a crash');
    await h.supervisor.stop();
  });

  test('holdReason: the child is stopped, the state is idle with the reason, and neither the watchdog nor a retry restarts it', async () => {
    let hold: string | undefined;
    const h = harness({ holdReason: () => hold });
    h.supervisor.start();
    await settle();
    h.last.progress();
    hold = 'no work';
    await advance(500);
    assert.equal(h.last.stopped, true);
    assert.deepEqual([h.supervisor.current.state, h.supervisor.current.reason], ['idle', 'no work']);
    await advance(60_000);
    assert.equal(h.children.length, 1);
    hold = undefined;
    h.supervisor.start();
    await settle();
    assert.equal(h.children.length, 2);
    // a failure while work stops: the retry finds nothing to do and idles
    hold = undefined;
    h.last.die('exit code 1');
    hold = 'no work';
    await advance(1000);
    assert.equal(h.children.length, 2);
    assert.equal(h.supervisor.current.state, 'idle');
    await h.supervisor.stop();
  });

  test('restart(): the child is stopped and a fresh one started at once, not counted as a restart', async () => {
    const h = harness();
    h.supervisor.start();
    await settle();
    h.last.progress();
    h.supervisor.restart();
    await settle();
    assert.equal(h.children[0]!.stopped, true);
    assert.equal(h.children.length, 2);
    assert.equal(h.supervisor.current.restarts, 0);
    await h.supervisor.stop();
  });

  test('reasons and stderr lines are masked before they are kept or logged, and reasons are cut to a bound', async () => {
    const h = harness({ mask: (text) => text.replaceAll('s3cret', '***') });
    const stderr = new StderrTail();
    stderr.write('auth s3cret refused\n');
    h.supervisor.start();
    await settle();
    h.last.die(`bad key s3cret ${'x'.repeat(2000)}`, { stderr });
    const reason = h.supervisor.current.reason!;
    assert.ok(reason.startsWith('bad key *** x') && reason.length === MAX_REASON);
    assert.ok(!h.logs.lines.some((line) => line.text.includes('s3cret')));
    await h.supervisor.stop();
  });

  test('a failure the child reports with its own state (a stream that ended) shows that state', async () => {
    const h = harness();
    h.supervisor.start();
    await settle();
    h.last.die('the stream ended', { state: 'ended' });
    assert.deepEqual([h.supervisor.current.state, h.supervisor.current.reason], ['ended', 'the stream ended']);
    assert.deepEqual(h.logs.at('warn'), ['thing t1: ended (the stream ended)']);
    await h.supervisor.stop();
  });
});
