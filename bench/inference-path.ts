/**
 * The service's detection path, for the bench: InferenceService's DetectionStages (decode for the model input,
 * letterbox into pooled tensors, OnnxWorker.run, YoloDetector.detect, rules, annotation on demand) driven by its
 * BatchScheduler over latest-frame slots, fed by cameras that publish the bench JPEGs at a steady rate. Only Redis
 * is left out: the outputs are counted here instead of published.
 */
import { Logger } from '@nestjs/common';
import type { DetectionsEvent, Frame } from '@vigil/contracts';
import { AnnotatedDemand } from '../apps/inference/src/annotated-demand';
import { CameraDetection } from '../apps/inference/src/cameras/camera-detection';
import type { DetectionOutputs } from '../apps/inference/src/detection-outputs';
import { DetectionStages, type Prepared, type Ran } from '../apps/inference/src/detection-stages';
import { InferenceMetrics } from '../apps/inference/src/inference-metrics';
import type { LoadedModel } from '../apps/inference/src/model/model-runtime';
import { cameraConfigSchema, modelConfigSchema } from '../libs/contracts/src';
import type { OnnxWorker } from '../libs/detect/src/onnx/onnx-worker';
import { DEFAULT_PARAMS } from '../libs/detect/src/rules/params';
import { BatchScheduler, type BatchStages, type Taken } from '../libs/detect/src/scheduling/batch-scheduler';
import { LatestFrameSlots } from '../libs/detect/src/scheduling/latest-frame-slots';
import { detectLayout } from '../libs/detect/src/yolo/layout';
import { YoloDetector } from '../libs/detect/src/yolo/yolo-detector';
import { MetricsService } from '../libs/metrics/src/metrics.service';
import type { BenchJpeg } from './inference-frames';
import { BENCH_MODEL } from './inference-model';

/** Cameras feeding the slots, and how often each sends a frame: faster than the model, so a slot is never empty for long. */
export const BENCH_CAMERAS = 4;
const CAMERA_FPS = 30;
/** the service's default (modelConfigSchema) */
const BATCH_WAIT_MS = 10;

export interface PathSettings {
  batch: number;
  /** the scheduler's pipelining: the service's (PIPELINE_BATCHES), or the other to compare */
  pipeline: boolean;
  /** every camera's annotated stream has a viewer (PUBLISH answers 1), else none (it answers 0) */
  viewers: boolean;
}

/** Sums over one measured stretch, ms unless said. */
export interface PathWindow {
  frames: number;
  batches: number;
  wall: number;
  prepare: number;
  runWall: number;
  /** session.run, as the worker timed it */
  runInside: number;
  finish: number;
  annotated: number;
  /** per frame: from the camera's put into its slot to its detections going out */
  latencies: number[];
  /** CPU of this process (event loop, ONNX worker and its threads, libuv pool), seconds */
  cpuSeconds: number;
}

export class ServicePath {
  readonly model: LoadedModel;
  private readonly metrics = new InferenceMetrics(new MetricsService());
  private readonly logger = new Logger('bench');
  private seq = 0;

  constructor(
    readonly worker: OnnxWorker,
    private readonly jpegs: readonly BenchJpeg[],
  ) {
    const dims = worker.info.outputs[0]?.dims;
    if (!dims) throw new Error('the bench model declares no output shape');
    const classNames = BENCH_MODEL.classNames;
    const detector = new YoloDetector(detectLayout(dims, classNames.length), { classNames, minConfidence: () => 0, iou: DEFAULT_PARAMS.iou });
    const input = { width: BENCH_MODEL.size, height: BENCH_MODEL.size };
    this.model = { name: 'bench', config: modelConfigSchema.parse({ path: 'bench.onnx', provider: 'cpu' }), worker, detector, classNames, input, batch: 1 };
  }

  /** Runs the path for `ms` with cameras feeding it, then lets the batches in flight finish; returns what it measured. */
  async measure(settings: PathSettings, ms: number): Promise<PathWindow> {
    const window: PathWindow = { frames: 0, batches: 0, wall: 0, prepare: 0, runWall: 0, runInside: 0, finish: 0, annotated: 0, latencies: [], cpuSeconds: 0 };
    const putAt = new Map<string, number>();
    const cameras = new Map<string, CameraDetection>(Array.from({ length: BENCH_CAMERAS }, (_, i) => [`cam${i}`, this.camera(`cam${i}`)]));
    const outputs = {
      detections: (event: DetectionsEvent) => {
        window.frames += 1;
        window.latencies.push(performance.now() - putAt.get(`${event.camera}/${event.seq}`)!);
      },
      annotated: async () => {
        window.annotated += 1;
        return settings.viewers ? 1 : 0;
      },
      violation: async () => undefined,
    } as unknown as DetectionOutputs;
    const model = { ...this.model, batch: settings.batch };
    const stages = new DetectionStages({ model, camera: (id) => cameras.get(id), outputs, metrics: this.metrics, demand: new AnnotatedDemand(), logger: this.logger });
    const slots = new LatestFrameSlots<Frame>();
    let failure: Error | undefined;
    const scheduler = new BatchScheduler(slots, { size: settings.batch, waitMs: BATCH_WAIT_MS, pipeline: settings.pipeline }, this.timed(stages, window), (error) => (failure ??= error));

    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const feeders = [...cameras.keys()].map((camera) => {
      const send = (): void => {
        const frame = this.frame(camera);
        putAt.set(`${camera}/${frame.seq}`, performance.now());
        slots.put(camera, frame);
        scheduler.notify();
      };
      send();
      return setInterval(send, 1000 / CAMERA_FPS);
    });
    await new Promise((resolve) => setTimeout(resolve, ms));
    for (const feeder of feeders) clearInterval(feeder);
    await scheduler.stop();
    window.wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    window.cpuSeconds = (cpu.user + cpu.system) / 1e6;
    if (failure) throw failure;
    return window;
  }

  /** The stages as the service has them, timed. */
  private timed(stages: DetectionStages, window: PathWindow): BatchStages<Frame, Prepared, Ran> {
    return {
      prepare: async (batch: Taken<Frame>[]) => {
        const started = performance.now();
        const prepared = await stages.prepare(batch);
        window.prepare += performance.now() - started;
        return prepared;
      },
      run: async (prepared: Prepared) => {
        const started = performance.now();
        const ran = await stages.run(prepared);
        window.runWall += performance.now() - started;
        window.runInside += ran.output?.ms ?? 0;
        window.batches += 1;
        return ran;
      },
      finish: async (ran: Ran) => {
        const started = performance.now();
        await stages.finish(ran);
        window.finish += performance.now() - started;
      },
    };
  }

  /** A camera whose frames all go to the model: no motion gate, so every frame is inferred as in the bench before. */
  private camera(id: string): CameraDetection {
    return new CameraDetection(cameraConfigSchema.parse({ id, url: 'test://smpte', detect: { detector: 'model', motionGate: false } }), this.model.config);
  }

  private frame(camera: string): Frame {
    const seq = this.seq++;
    const jpeg = this.jpegs[seq % this.jpegs.length]!;
    return { camera, stream: 'raw', seq, ts: Date.now(), width: jpeg.width, height: jpeg.height, format: 'jpeg', data: jpeg.data };
  }
}
