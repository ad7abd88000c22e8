export * from './opencv';
export * from './decoded-frame';
export * from './letterbox';
export * from './tensor-pool';
export * from './motion-boxes';
export * from './motion-detector';
export * from './annotate';
