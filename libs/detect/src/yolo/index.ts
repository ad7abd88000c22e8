export * from './letterbox';
export * from './layout';
export * from './decode';
export * from './yolo-detector';
