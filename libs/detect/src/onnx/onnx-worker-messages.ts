import type { Dim } from '../yolo/layout';
import type { ExecutionProvider, TensorInfo } from './onnx-session';

/** What the worker tells about the loaded model. */
export interface ModelInfo {
  provider: ExecutionProvider;
  fallbackReason?: string;
  input: TensorInfo;
  outputs: TensorInfo[];
  metadata: Record<string, string>;
  batch: number | 'dynamic';
  inputSize?: { height: number; width: number };
  classNames?: string[];
}

export type WorkerRequest =
  /** `input` holds the tensor in its first `length` floats; it comes back with the reply, for the next batch */
  | { type: 'run'; id: number; input: ArrayBuffer; length: number; batch: number; height: number; width: number }
  | { type: 'close' }
  /**
   * The fault tests' thread death: the next run request throws in the thread (an uncaught error, as a bug in the
   * binding would) instead of being answered. Only code holding the OnnxWorker in this process can send it.
   */
  | { type: 'crash-on-next-run' };

export type WorkerReply =
  | { type: 'loaded'; info: ModelInfo }
  | { type: 'failed'; error: string }
  | { type: 'result'; id: number; data: ArrayBuffer; dims: number[]; ms: number; input: ArrayBuffer }
  | { type: 'error'; id: number; error: string };

export type { Dim };
