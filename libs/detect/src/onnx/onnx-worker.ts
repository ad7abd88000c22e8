import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { OnnxRunResult, OnnxSessionOptions } from './onnx-session';
import type { ModelInfo, WorkerReply, WorkerRequest } from './onnx-worker-messages';

/**
 * An ONNX model running in a worker thread (see onnx-worker.thread.ts for why). Same shape as
 * OnnxSession: load, then run batches; the input buffer is transferred, not copied.
 */
export class OnnxWorker {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (result: OnnxRunResult) => void; reject: (error: Error) => void }>();

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

  run(input: Float32Array, batch: number, height: number, width: number): Promise<OnnxRunResult> {
    const id = this.nextId++;
    // transfer the whole buffer when the array owns it; copy only a view into a bigger buffer
    const owned = input.byteOffset === 0 && input.byteLength === input.buffer.byteLength ? input : input.slice();
    const request: WorkerRequest = { type: 'run', id, input: owned.buffer as ArrayBuffer, batch, height, width };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(request, [owned.buffer as ArrayBuffer]);
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
    else waiter.resolve({ data: new Float32Array(message.data), dims: message.dims, ms: message.ms });
  }

  private failAll(error: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}
