import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cameraDetectSchema, modelConfigSchema } from '@vigil/contracts';
import { DEFAULT_PARAMS, effectiveParams } from '../../libs/detect/src/rules';

describe('effectiveParams', () => {
  test('without model or camera params the defaults apply: * 0.25, minFrames 1, iou 0.45', () => {
    assert.deepEqual(effectiveParams(), { minConfidence: { '*': 0.25 }, minFrames: 1, iou: 0.45 });
    assert.deepEqual(effectiveParams({}, {}), effectiveParams());
  });

  test("the model's params apply where the camera sets none", () => {
    assert.deepEqual(effectiveParams({ minConfidence: { '*': 0.4 }, minFrames: 5, iou: 0.6 }, {}), {
      minConfidence: { '*': 0.4 },
      minFrames: 5,
      iou: 0.6,
    });
  });

  test("a camera's params override the model's, key by key", () => {
    const params = effectiveParams({ minFrames: 5, iou: 0.6 }, { minFrames: 2 });
    assert.equal(params.minFrames, 2);
    assert.equal(params.iou, 0.6);
  });

  test("minConfidence is merged per class: the camera's classes override, the model's others stay", () => {
    const params = effectiveParams({ minConfidence: { person: 0.5, helmet: 0.4, '*': 0.3 } }, { minConfidence: { helmet: 0.6, harness: 0.2 } });
    assert.deepEqual(params.minConfidence, { '*': 0.3, person: 0.5, helmet: 0.6, harness: 0.2 });
  });

  test("a camera's * replaces the model's * but not the classes the model names", () => {
    const params = effectiveParams({ minConfidence: { person: 0.5, '*': 0.3 } }, { minConfidence: { '*': 0.1 } });
    assert.deepEqual(params.minConfidence, { '*': 0.1, person: 0.5 });
  });

  test('a model that names classes but no * keeps the default *', () => {
    assert.deepEqual(effectiveParams({ minConfidence: { person: 0.5 } }).minConfidence, { '*': 0.25, person: 0.5 });
  });

  test('whole parsed config objects can be passed; only the param keys are read', () => {
    const model = modelConfigSchema.parse({ path: 'helmet.onnx', minConfidence: { '*': 0.35 }, minFrames: 4 });
    const camera = cameraDetectSchema.parse({ minFrames: 2, zones: [], rules: [] });
    assert.deepEqual(effectiveParams(model, camera), { minConfidence: { '*': 0.35 }, minFrames: 2, iou: 0.45 });
  });

  test('merging never changes the defaults or the inputs', () => {
    const model = { minConfidence: { person: 0.5 } };
    effectiveParams(model, { minConfidence: { person: 0.9 } });
    assert.deepEqual(model, { minConfidence: { person: 0.5 } });
    assert.deepEqual(DEFAULT_PARAMS.minConfidence, { '*': 0.25 });
  });
});
