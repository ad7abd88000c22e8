import type { CameraConfig, CameraDetectConfig, InferenceStatus, ModelConfig } from '@vigil/contracts';
import { effectiveParams, MotionDetector, RuleDebouncer, type ResolvedParams } from '@vigil/detect';

/** Counters shown per camera in the API (inference status) and metrics. */
export type DetectionCounters = Pick<InferenceStatus, 'inferred' | 'skipped' | 'gated' | 'violations' | 'lastInferenceMs' | 'lastDetections'>;

/** Everything inference keeps per camera: its rules, resolved params, motion background and debounce counts. */
export class CameraDetection {
  readonly detect: CameraDetectConfig;
  readonly params: ResolvedParams;
  readonly motion: MotionDetector;
  readonly debouncer: RuleDebouncer;
  readonly counters: DetectionCounters = { inferred: 0, skipped: 0, gated: 0, violations: 0 };
  /** why this camera's detection cannot run (e.g. it wants a model and none is loaded) */
  problem?: string;

  constructor(
    readonly camera: CameraConfig,
    model: ModelConfig | undefined,
  ) {
    this.detect = camera.detect!;
    // a camera's params override the model's, per key and per class
    this.params = effectiveParams(model, this.detect);
    this.motion = new MotionDetector({ camera: camera.id });
    this.debouncer = new RuleDebouncer({ camera: camera.id, minFrames: this.params.minFrames });
  }

  /** Motion is computed when it is the detector or when it gates the model. */
  get usesMotion(): boolean {
    return this.detect.detector === 'motion' || this.detect.motionGate;
  }

  get usesModel(): boolean {
    return this.detect.detector === 'model';
  }
}
