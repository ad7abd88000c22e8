import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { formatDims, type Dim } from '../yolo/layout';
import { parseClassNames } from './class-names';
import { readModelMetadata } from './model-metadata';

/** `auto` tries CUDA and falls back to the CPU when CUDA cannot be set up. */
export type ProviderChoice = 'auto' | 'cuda' | 'cpu';
export type ExecutionProvider = 'cuda' | 'cpu';

export interface OnnxSessionOptions {
  /** default `auto` */
  provider?: ProviderChoice;
  /** threads one run may use; default: ONNX Runtime's (one per physical core) */
  threads?: number;
}

export interface TensorInfo {
  name: string;
  /** element type, e.g. `float32` */
  type: string;
  /** declared shape, dynamic dims as strings (their symbolic name, '' when unnamed); null when not declared */
  dims: Dim[] | null;
}

export interface OnnxRunResult {
  /** the first output, e.g. YOLO's detection head */
  data: Float32Array;
  dims: number[];
  /** wall time of the run */
  ms: number;
}

const CUDA_HINT =
  'the CUDA provider needs libonnxruntime_providers_cuda.so next to the onnxruntime-node binding (its install script ' +
  'downloads it on linux x64 unless ONNXRUNTIME_NODE_INSTALL=skip), the CUDA 12 and cuDNN 9 libraries, and an NVIDIA driver';

/**
 * The one class that talks to ONNX Runtime: loads a model whose input is one float32 NCHW image batch
 * ([batch, 3, height, width], as Ultralytics exports it) and runs it.
 *
 * Note: onnxruntime-node's `run` is asynchronous in name only; the native call runs on the JS thread and holds the
 * event loop for the whole inference. Call it from a worker thread where the loop must stay free.
 */
export class OnnxSession {
  private constructor(
    readonly path: string,
    private readonly session: InferenceSession,
    /** the provider the session was created with */
    readonly provider: ExecutionProvider,
    /** under `auto`, why CUDA was not used (its error), for the start-up log */
    readonly fallbackReason: string | undefined,
    readonly input: TensorInfo,
    readonly outputs: TensorInfo[],
    /** the model's custom metadata (`metadata_props`), e.g. Ultralytics' `names`, `imgsz`, `stride`, `task` */
    readonly metadata: Readonly<Record<string, string>>,
  ) {}

  /** Loads a model; refuses (throws) a missing file, a provider that cannot be set up, or an input it cannot feed. */
  static async load(path: string, options: OnnxSessionOptions = {}): Promise<OnnxSession> {
    const provider = options.provider ?? 'auto';
    await assertFile(path);
    const sessionOptions = (providers: ExecutionProvider[]): InferenceSession.SessionOptions => ({
      executionProviders: providers,
      graphOptimizationLevel: 'all',
      ...(options.threads !== undefined && { intraOpNumThreads: options.threads }),
    });

    let session: InferenceSession;
    let got: ExecutionProvider = provider === 'cpu' ? 'cpu' : 'cuda';
    let fallbackReason: string | undefined;
    try {
      // CPU after CUDA: operators CUDA lacks run there, as in any CUDA session
      session = await InferenceSession.create(path, sessionOptions(got === 'cuda' ? ['cuda', 'cpu'] : ['cpu']));
    } catch (error) {
      const message = errorMessage(error);
      if (provider !== 'auto') {
        const hint = provider === 'cuda' ? `; ${CUDA_HINT}` : '';
        throw new Error(`cannot load ONNX model ${path} with the ${provider.toUpperCase()} provider: ${message}${hint}`);
      }
      fallbackReason = message;
      got = 'cpu';
      try {
        session = await InferenceSession.create(path, sessionOptions(['cpu']));
      } catch (cpuError) {
        throw new Error(`cannot load ONNX model ${path}: ${errorMessage(cpuError)}`);
      }
    }

    try {
      const input = onlyImageInput(path, session);
      const outputs = session.outputMetadata.map(tensorInfo);
      if (outputs.length === 0) throw new Error(`ONNX model ${path} has no outputs`);
      if (outputs[0].type !== 'float32') {
        throw new Error(`ONNX model ${path}: output ${outputs[0].name} is ${outputs[0].type}, vigil reads float32 (export without half=True)`);
      }
      const metadata = await readModelMetadata(path);
      return new OnnxSession(path, session, got, fallbackReason, input, outputs, metadata);
    } catch (error) {
      await session.release();
      throw error;
    }
  }

  /** The batch size the model takes: a fixed number, or `dynamic` when any batch size goes. */
  get batch(): number | 'dynamic' {
    const dim = this.input.dims?.[0];
    return typeof dim === 'number' ? dim : 'dynamic';
  }

  /** Input height and width: from the input's dims, else from Ultralytics' `imgsz` metadata; undefined when neither says. */
  get inputSize(): { height: number; width: number } | undefined {
    const [, , height, width] = this.input.dims ?? [];
    if (typeof height === 'number' && typeof width === 'number') return { height, width };
    const imgsz = this.metadata.imgsz?.match(/^\s*\[\s*(\d+)\s*,\s*(\d+)\s*\]\s*$/);
    return imgsz ? { height: Number(imgsz[1]), width: Number(imgsz[2]) } : undefined;
  }

  /**
   * Class names from the model's `names` metadata (as Ultralytics writes it); undefined when the model has none.
   * Throws when they are there but cannot be read.
   */
  classNames(): string[] | undefined {
    const names = this.metadata.names;
    return names === undefined ? undefined : parseClassNames(names, `the names metadata of ${this.path}`);
  }

  /** Runs `batch` images of `height` x `width`, NCHW float32, and returns the first output. */
  async run(input: Float32Array, batch: number, height: number, width: number): Promise<OnnxRunResult> {
    const channels = typeof this.input.dims?.[1] === 'number' ? this.input.dims[1] : 3;
    const dims = [batch, channels, height, width];
    if (input.length !== batch * channels * height * width) {
      throw new Error(`input holds ${input.length} values, [${dims.join(', ')}] needs ${batch * channels * height * width}`);
    }
    if (this.batch !== 'dynamic' && batch !== this.batch) {
      throw new Error(`ONNX model ${this.path} takes a batch of ${this.batch}, got ${batch}`);
    }
    const [, , fixedHeight, fixedWidth] = this.input.dims ?? [];
    if ((typeof fixedHeight === 'number' && fixedHeight !== height) || (typeof fixedWidth === 'number' && fixedWidth !== width)) {
      throw new Error(`ONNX model ${this.path} takes ${fixedWidth}x${fixedHeight} images, got ${width}x${height}`);
    }
    const output = this.outputs[0].name;
    const started = performance.now();
    const results = await this.session.run({ [this.input.name]: new Tensor('float32', input, dims) }, [output]);
    const ms = performance.now() - started;
    const tensor = results[output] as Tensor;
    if (tensor.type !== 'float32') throw new Error(`ONNX model ${this.path}: output ${output} came back as ${tensor.type}`);
    return { data: tensor.data as Float32Array, dims: [...tensor.dims], ms };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

async function assertFile(path: string): Promise<void> {
  let isFile: boolean;
  try {
    isFile = (await stat(path)).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `ONNX model not found: ${path}` : `cannot read ONNX model ${path}: ${errorMessage(error)}`);
  }
  if (!isFile) throw new Error(`ONNX model ${path} is not a file`);
}

function onlyImageInput(path: string, session: InferenceSession): TensorInfo {
  const inputs = session.inputMetadata.map(tensorInfo);
  const [input] = inputs;
  const channels = input?.dims?.[1];
  if (inputs.length !== 1 || input.type !== 'float32' || input.dims?.length !== 4 || (typeof channels === 'number' && channels !== 3)) {
    const found = inputs.map((info) => `${info.name} ${info.type} ${info.dims ? formatDims(info.dims) : '[?]'}`).join(', ');
    throw new Error(`ONNX model ${path} must take one float32 image input [batch, 3, height, width]; it takes ${found || 'nothing'}`);
  }
  return input;
}

function tensorInfo(metadata: InferenceSession.ValueMetadata): TensorInfo {
  if (!metadata.isTensor) return { name: metadata.name, type: 'non-tensor', dims: null };
  // onnxruntime-node reports an undeclared shape as []; a real scalar output would not be a detection head either
  return { name: metadata.name, type: metadata.type, dims: metadata.shape.length === 0 ? null : [...metadata.shape] };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
