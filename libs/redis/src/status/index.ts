export * from './record-hash';
export * from './camera-statuses';
export * from './inference-statuses';
export * from './stitch-statuses';
