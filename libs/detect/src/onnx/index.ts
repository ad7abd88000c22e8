export * from './onnx-session';
export * from './onnx-worker';
export * from './onnx-worker-messages';
export * from './class-names';
export * from './model-metadata';
