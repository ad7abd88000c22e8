import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { loadConfigFile, VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { modelConfigSchema, type ModelConfig } from '@vigil/contracts';
import { detectLayout, formatDims, OnnxWorker, readLabels, YoloDetector, type OnnxWorkerEvents } from '@vigil/detect';
import { Readiness } from '@vigil/platform';
import { basename } from 'node:path';
import { InferenceMetrics } from '../inference-metrics';

const DEFAULT_INPUT = 640;

/** A loaded model, ready to run batches. */
export interface LoadedModel {
  name: string;
  config: ModelConfig;
  worker: OnnxWorker;
  detector: YoloDetector;
  classNames: string[];
  input: { width: number; height: number };
  /** frames per run: the model's fixed batch, or the configured batch for a dynamic one */
  batch: number;
}

/**
 * Loads the ONNX model at start, or refuses to start: a missing file, a model whose output is not
 * a YOLO detection head, class names that do not fit it, or a model that cannot run a warm-up
 * batch all stop the service with a message, instead of failing on the first frame.
 */
@Injectable()
export class ModelRuntime implements OnApplicationShutdown {
  private readonly logger = new Logger('Model');
  private loaded?: LoadedModel;

  constructor(
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
    private readonly metrics: InferenceMetrics,
    private readonly readiness: Readiness,
  ) {}

  get model(): LoadedModel | undefined {
    return this.loaded;
  }

  /** The model settings: the cameras file's `model` section, overridden by MODEL_* variables. */
  modelConfig(): ModelConfig | undefined {
    const fromFile = this.config.camerasFile ? loadConfigFile(this.config.camerasFile).model : undefined;
    const env = this.config.model;
    const path = env.path ?? fromFile?.path;
    if (!path) return undefined;
    return modelConfigSchema.parse({ ...fromFile, path, labels: env.labels ?? fromFile?.labels, provider: env.provider ?? fromFile?.provider });
  }

  async load(): Promise<LoadedModel | undefined> {
    const config = this.modelConfig();
    if (!config) {
      this.logger.log('no model configured (MODEL_PATH or model.path): cameras can use the motion detector only');
      return undefined;
    }
    const name = basename(config.path).replace(/\.onnx$/i, '');
    const worker = await OnnxWorker.load(config.path, { provider: config.provider }, { events: this.workerEvents(name) });
    try {
      const { info } = worker;
      const classNames = config.labels ? await readLabels(config.labels) : info.classNames;
      if (!classNames) throw new Error(`model ${config.path} has no class names in its metadata: give a labels file (MODEL_LABELS or model.labels)`);
      const output = info.outputs[0];
      if (!output?.dims) throw new Error(`model ${config.path} declares no output shape`);
      const layout = detectLayout(output.dims, classNames.length);
      const input = info.inputSize ?? { width: DEFAULT_INPUT, height: DEFAULT_INPUT };
      const batch = info.batch === 'dynamic' ? config.batch : info.batch;
      // a warm-up batch catches models that load but cannot run, and pays the first-run cost now
      await worker.run(new Float32Array(batch * 3 * input.width * input.height), batch, input.height, input.width);
      const detector = new YoloDetector(layout, { classNames, minConfidence: () => 0, iou: config.iou ?? 0.45 });
      this.logger.log(
        `model ${name}: ${layout.kind === 'v8' ? 'YOLOv8/11' : 'YOLOv5'} output ${formatDims(output.dims)}, ${classNames.length} classes, ` +
          `input ${input.width}x${input.height}, batch ${info.batch === 'dynamic' ? `${batch} (dynamic)` : batch}, provider ${info.provider.toUpperCase()}` +
          (info.fallbackReason ? ` (CUDA unavailable: ${info.fallbackReason.split('\n')[0]})` : ''),
      );
      this.loaded = { name, config, worker, detector, classNames, input, batch };
      // degraded while the worker thread is being restarted: batches for the model fail meanwhile
      this.readiness.register('model', () => worker.state === 'up');
      return this.loaded;
    } catch (error) {
      await worker.close();
      throw error;
    }
  }

  /** The worker thread's deaths and restarts, in the log and the metrics. */
  private workerEvents(model: string): OnnxWorkerEvents {
    return {
      died: (reason, failedRuns) => {
        this.metrics.workerRestarts.inc({ model });
        this.logger.warn(`model ${model}: the ONNX worker thread died (${reason}); ${failedRuns} batch(es) in flight failed, restarting it`);
      },
      restarted: (attempts) => this.logger.log(`model ${model}: the ONNX worker thread is back (after ${attempts} tr${attempts === 1 ? 'y' : 'ies'})`),
      restartFailed: (reason, retryInMs) => this.logger.warn(`model ${model}: cannot restart the ONNX worker thread (${reason}); next try in ${retryInMs} ms`),
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loaded?.worker.close();
  }
}
