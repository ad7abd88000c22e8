export * from './scheduling/latest-frame-slots';
export * from './scheduling/batch-scheduler';
export * from './scheduling/stage-estimates';
export * from './yolo';
export * from './onnx';
export * from './rules';
// vision's pixel-box helpers stay internal (rules has the normalised-box ones)
export { opencv, releaseMats } from './vision/opencv';
export * from './vision/decoded-frame';
export * from './vision/letterbox';
export * from './vision/tensor-pool';
export * from './vision/motion-detector';
export * from './vision/annotate';
