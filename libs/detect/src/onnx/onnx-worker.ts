import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { backoffDelay, type BackoffOptions } from '@vigil/kernel/process';
import type { OnnxRunResult, OnnxSessionOptions } from './onnx-session';
import type { ModelInfo, WorkerReply, WorkerRequest } from './onnx-worker-messages';

/** A run's output, and the input's whole buffer given back (it was transferred to the worker, not copied). */
export interface OnnxWorkerResult extends OnnxRunResult {
  input: Float32Array;
}

/** A run that failed because the thread died under it, or was asked for while the thread is being restarted. */
export class OnnxWorkerDownError extends Error {
  override name = 'OnnxWorkerDownError';
}

/** `up`: runs are taken; `restarting`: the thread died and a new one is being loaded (runs reject at once); `closed`: for good. */
export type OnnxWorkerState = 'up' | 'restarting' | 'closed';

/** What the owner hears of the thread's deaths and restarts (for its log, metrics and readiness). */
export interface OnnxWorkerEvents {
  /** the thread died; `failedRuns` runs in flight rejected with OnnxWorkerDownError */
  died?(reason: string, failedRuns: number): void;
  /** a new thread has the model loaded again, after `attempts` tries */
  restarted?(attempts: number): void;
  /** a new thread could not load the model; the next try is in `retryInMs` */
  restartFailed?(reason: string, retryInMs: number): void;
}

export interface OnnxWorkerSupervision {
  /** delays between restart tries, doubling from min to max; reset by the first run a restarted thread answers */
  backoff?: BackoffOptions;
  events?: OnnxWorkerEvents;
}

/** @default 250 ms doubling to 30 s: a thread that dies at once again (a bad model, no memory) is not respawned in a loop */
export const ONNX_WORKER_RESTART_BACKOFF: BackoffOptions = { minMs: 250, maxMs: 30_000 };

interface Pending {
  resolve: (result: OnnxWorkerResult) => void;
  reject: (error: Error) => void;
}

/**
 * An ONNX model running in a worker thread (see onnx-worker.thread.ts for why). Same shape as OnnxSession: load, then
 * run batches; the input buffer is transferred, not copied, and comes back with the result so the caller can fill it
 * again (a fresh 20 MB buffer per batch costs page faults and garbage collection).
 *
 * Supervised: when the thread dies (an uncaught error in it, running out of memory, a terminate), the runs in flight
 * reject with OnnxWorkerDownError, later runs reject at once until a new thread has the model loaded again, and the
 * thread is restarted with backoff. Before this, every run after a death waited for an answer that never came.
 */
export class OnnxWorker {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private thread?: Worker;
  private current: OnnxWorkerState = 'up';
  private restartTimer?: NodeJS.Timeout;
  /** restart tries since the last thread that answered a run */
  private attempts = 0;
  private readonly backoff: BackoffOptions;
  private readonly events: OnnxWorkerEvents;

  private constructor(
    private readonly path: string,
    private readonly options: OnnxSessionOptions,
    thread: Worker,
    readonly info: ModelInfo,
    supervision: OnnxWorkerSupervision,
  ) {
    this.backoff = supervision.backoff ?? ONNX_WORKER_RESTART_BACKOFF;
    this.events = supervision.events ?? {};
    this.attach(thread);
  }

  /** Loads the model in a new worker; rejects with the loader's message (missing file, bad model, provider). */
  static async load(path: string, options: OnnxSessionOptions = {}, supervision: OnnxWorkerSupervision = {}): Promise<OnnxWorker> {
    const { thread, info } = await startThread(path, options);
    return new OnnxWorker(path, options, thread, info, supervision);
  }

  get state(): OnnxWorkerState {
    return this.current;
  }

  /**
   * Runs `input` (it may be a view of a bigger buffer from its start); the caller's buffer is detached until the
   * result brings it back. While the thread is being restarted it rejects at once, and the buffer stays the caller's.
   */
  run(input: Float32Array, batch: number, height: number, width: number): Promise<OnnxWorkerResult> {
    const thread = this.thread;
    if (!thread) return Promise.reject(new OnnxWorkerDownError(this.current === 'closed' ? 'the ONNX worker is closed' : 'the ONNX worker is restarting'));
    const id = this.nextId++;
    // transfer the whole buffer when the tensor starts it; copy only a view from further in
    const owned = input.byteOffset === 0 ? input : input.slice();
    const buffer = owned.buffer as ArrayBuffer;
    const request: WorkerRequest = { type: 'run', id, input: buffer, length: owned.length, batch, height, width };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      thread.postMessage(request, [buffer]);
    });
  }

  /** The fault tests' thread death: the thread throws on the next run instead of answering it (see WorkerRequest). */
  crashOnNextRun(): void {
    this.thread?.postMessage({ type: 'crash-on-next-run' } satisfies WorkerRequest);
  }

  async close(): Promise<void> {
    this.current = 'closed';
    clearTimeout(this.restartTimer);
    const thread = this.thread;
    this.thread = undefined;
    this.failAll(new OnnxWorkerDownError('the ONNX worker is closed'));
    if (thread) await stopThread(thread);
  }

  private attach(thread: Worker): void {
    this.thread = thread;
    this.current = 'up';
    thread.on('message', (message: WorkerReply) => this.onReply(message));
    // an uncaught error in the thread comes as 'error', then 'exit'; a terminate or process.exit there as 'exit' alone
    let reason: string | undefined;
    thread.on('error', (error) => (reason ??= error.message));
    thread.on('exit', (code) => this.onExit(thread, reason ?? `exited with code ${code}`));
  }

  private onExit(thread: Worker, reason: string): void {
    if (this.thread !== thread) return; // closed, or already replaced
    this.thread = undefined;
    this.current = 'restarting';
    const failed = this.failAll(new OnnxWorkerDownError(`the ONNX worker died (${reason})`));
    this.events.died?.(reason, failed);
    this.scheduleRestart();
  }

  /** Returns the delay before the try. */
  private scheduleRestart(): number {
    const delay = backoffDelay(this.attempts, this.backoff);
    this.attempts += 1;
    this.restartTimer = setTimeout(() => void this.restart(), delay);
    return delay;
  }

  private async restart(): Promise<void> {
    let thread: Worker;
    try {
      ({ thread } = await startThread(this.path, this.options));
    } catch (error) {
      if (this.current === 'closed') return;
      this.events.restartFailed?.((error as Error).message, this.scheduleRestart());
      return;
    }
    if (this.current === 'closed') {
      await stopThread(thread);
      return;
    }
    this.attach(thread);
    this.events.restarted?.(this.attempts);
  }

  private onReply(message: WorkerReply): void {
    if (message.type !== 'result' && message.type !== 'error') return;
    const waiter = this.pending.get(message.id);
    if (!waiter) return;
    this.pending.delete(message.id);
    // a thread that answers is a healthy one: the next death starts the backoff from its shortest delay again
    this.attempts = 0;
    if (message.type === 'error') waiter.reject(new Error(message.error));
    else waiter.resolve({ data: new Float32Array(message.data), dims: message.dims, ms: message.ms, input: new Float32Array(message.input) });
  }

  /** Rejects every run in flight; returns how many there were. */
  private failAll(error: Error): number {
    const count = this.pending.size;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
    return count;
  }
}

/** A new thread with the model loaded; rejects with the loader's message. */
function startThread(path: string, options: OnnxSessionOptions): Promise<{ thread: Worker; info: ModelInfo }> {
  const thread = new Worker(join(__dirname, 'onnx-worker.thread.js'), { workerData: { path, options } });
  return new Promise((resolve, reject) => {
    const onMessage = (message: WorkerReply): void => {
      thread.off('error', onError);
      thread.off('exit', onExit);
      if (message.type === 'loaded') resolve({ thread, info: message.info });
      else {
        void thread.terminate();
        reject(new Error(message.type === 'failed' ? message.error : `unexpected message ${message.type} from the ONNX worker`));
      }
    };
    const onError = (error: Error): void => {
      thread.off('message', onMessage);
      reject(error);
    };
    const onExit = (code: number): void => reject(new Error(`the ONNX worker exited with code ${code} while loading the model`));
    thread.once('message', onMessage);
    thread.once('error', onError);
    thread.once('exit', onExit);
  });
}

/** Asks the thread to close its session; terminates it when it does not exit within 2 s. */
async function stopThread(thread: Worker): Promise<void> {
  thread.postMessage({ type: 'close' } satisfies WorkerRequest);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => void thread.terminate().then(() => resolve()), 2000);
    thread.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
