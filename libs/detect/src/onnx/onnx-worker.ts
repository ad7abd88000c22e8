import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { OnnxRunResult, OnnxSessionOptions } from './onnx-session';
import type { ModelInfo, WorkerReply, WorkerRequest } from './onnx-worker-messages';

/** A run's output, and the input's whole buffer given back (it was transferred to the worker, not copied). */
export interface OnnxWorkerResult extends OnnxRunResult {
  input: Float32Array;
}

/**
 * An ONNX model running in a worker thread (see onnx-worker.thread.ts for why). Same shape as
 * OnnxSession: load, then run batches; the input buffer is transferred, not copied, and comes back
 * with the result so the caller can fill it again (a fresh 20 MB buffer per batch costs page faults
 * and garbage collection).
 */
export class OnnxWorker {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (result: OnnxWorkerResult) => void; reject: (error: Error) => void }>();

  private constructor(
    private readonly worker: Worker,
    readonly info: ModelInfo,
  ) {
    worker.on('message', (message: WorkerReply) => this.onReply(message));
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', (code) => this.failAll(new Error(`the ONNX worker exited with code ${code}`)));
  }

  /** Loads the model in a new worker; rejects with the loader's message (missing file, bad model, provider). */
  static load(path: string, options: OnnxSessionOptions = {}): Promise<OnnxWorker> {
    const worker = new Worker(join(__dirname, 'onnx-worker.thread.js'), { workerData: { path, options } });
    return new Promise((resolve, reject) => {
      const onMessage = (message: WorkerReply): void => {
        worker.off('error', onError);
        if (message.type === 'loaded') resolve(new OnnxWorker(worker, message.info));
        else {
          void worker.terminate();
          reject(new Error(message.type === 'failed' ? message.error : `unexpected message ${message.type} from the ONNX worker`));
        }
      };
      const onError = (error: Error): void => reject(error);
      worker.once('message', onMessage);
      worker.once('error', onError);
    });
  }

  /** Runs `input` (it may be a view of a bigger buffer from its start); the caller's buffer is detached until the result brings it back. */
  run(input: Float32Array, batch: number, height: number, width: number): Promise<OnnxWorkerResult> {
    const id = this.nextId++;
    // transfer the whole buffer when the tensor starts it; copy only a view from further in
    const owned = input.byteOffset === 0 ? input : input.slice();
    const buffer = owned.buffer as ArrayBuffer;
    const request: WorkerRequest = { type: 'run', id, input: buffer, length: owned.length, batch, height, width };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(request, [buffer]);
    });
  }

  async close(): Promise<void> {
    this.worker.postMessage({ type: 'close' } satisfies WorkerRequest);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => void this.worker.terminate().then(() => resolve()), 2000);
      this.worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private onReply(message: WorkerReply): void {
    if (message.type !== 'result' && message.type !== 'error') return;
    const waiter = this.pending.get(message.id);
    if (!waiter) return;
    this.pending.delete(message.id);
    if (message.type === 'error') waiter.reject(new Error(message.error));
    else waiter.resolve({ data: new Float32Array(message.data), dims: message.dims, ms: message.ms, input: new Float32Array(message.input) });
  }

  private failAll(error: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}
