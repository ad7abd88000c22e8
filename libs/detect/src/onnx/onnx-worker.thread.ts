/**
 * Worker thread that owns the ONNX Runtime session. onnxruntime-node's `run` holds the calling
 * thread for the whole inference, so it runs here and the service's event loop stays free.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { OnnxSession, type OnnxSessionOptions } from './onnx-session';
import type { WorkerReply, WorkerRequest } from './onnx-worker-messages';

const { path, options } = workerData as { path: string; options: OnnxSessionOptions };
const port = parentPort!;

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

async function main(): Promise<void> {
  let session: OnnxSession;
  try {
    session = await OnnxSession.load(path, options);
    reply({
      type: 'loaded',
      info: {
        provider: session.provider,
        fallbackReason: session.fallbackReason,
        input: session.input,
        outputs: session.outputs,
        metadata: { ...session.metadata },
        batch: session.batch,
        inputSize: session.inputSize,
        classNames: session.classNames(),
      },
    });
  } catch (error) {
    reply({ type: 'failed', error: (error as Error).message });
    return;
  }
  let crashOnNextRun = false;
  port.on('message', (request: WorkerRequest) => {
    if (request.type === 'close') {
      void session.close().finally(() => process.exit(0));
      return;
    }
    if (request.type === 'crash-on-next-run') {
      crashOnNextRun = true;
      return;
    }
    if (crashOnNextRun) throw new Error(`crashed on purpose at run ${request.id} (a fault test)`);
    const { input } = request;
    session
      .run(new Float32Array(input, 0, request.length), request.batch, request.height, request.width)
      .then((result) => {
        const data = result.data.buffer.byteLength === result.data.byteLength ? result.data : result.data.slice();
        reply({ type: 'result', id: request.id, data: data.buffer as ArrayBuffer, dims: result.dims, ms: result.ms, input }, [data.buffer as ArrayBuffer, input]);
      })
      .catch((error: Error) => reply({ type: 'error', id: request.id, error: error.message }));
  });
}

void main();
