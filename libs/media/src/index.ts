export * from './child-processes';
export { notAnOption } from './exec';
export { singleInputList } from './ffconcat-input';
// the JPEG header reader moved to contracts (the bus checks frames with it); media's users still find it here
export { jpegSize } from '@vigil/contracts';
export * from './codec-probe';
export * from './gstreamer-probe';
export * from './pipeline/decoder';
export * from './pipeline/build-pipeline';
export * from './pipeline/launch';
export * from './pipeline-planner';
export * from './capture/messages';
export * from './capture/camera-capture-handle';
export * from './capture/capture-pool';
export * from './media.module';
export * from './capture/seq-blocks';
export * from './encoder';
