import type { DetectionParams } from '@vigil/contracts';

/** Detection parameters after the model's defaults and a camera's overrides are merged: every key set. */
export interface ResolvedParams {
  /** minimum score per class; `*` is always present and covers every class not named */
  minConfidence: Readonly<Record<string, number>>;
  /** consecutive frames a rule must hold before it is a violation */
  minFrames: number;
  /** IoU above which NMS suppresses a box of the same class */
  iou: number;
}

/** What applies when neither the model nor the camera says otherwise (the values Ultralytics uses). */
export const DEFAULT_PARAMS: ResolvedParams = Object.freeze({
  minConfidence: Object.freeze({ '*': 0.25 }),
  minFrames: 1,
  iou: 0.45,
});

/**
 * The params a camera runs with: a camera's params override the model's, key by key, as users of
 * the old scripts expect. `minConfidence` is merged per class, so a camera that tightens `person`
 * keeps the model's thresholds for every other class; a camera's `*` replaces the model's `*` but
 * not the classes the model names.
 *
 * Both arguments may be whole config objects (`ModelConfig`, `CameraDetectConfig`): only the
 * param keys are read.
 */
export function effectiveParams(modelDefaults?: DetectionParams, cameraOverrides?: DetectionParams): ResolvedParams {
  return {
    minConfidence: {
      ...DEFAULT_PARAMS.minConfidence,
      ...modelDefaults?.minConfidence,
      ...cameraOverrides?.minConfidence,
    },
    minFrames: cameraOverrides?.minFrames ?? modelDefaults?.minFrames ?? DEFAULT_PARAMS.minFrames,
    iou: cameraOverrides?.iou ?? modelDefaults?.iou ?? DEFAULT_PARAMS.iou,
  };
}

/** The minimum score for a class: its own threshold, else `*`. */
export function minConfidenceFor(params: ResolvedParams, label: string): number {
  const table = params.minConfidence;
  // hasOwn, not `table[label]`: a class called `constructor` must not find Object.prototype's.
  if (Object.hasOwn(table, label)) return table[label];
  return Object.hasOwn(table, '*') ? table['*'] : DEFAULT_PARAMS.minConfidence['*'];
}
