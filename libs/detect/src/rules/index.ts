export * from './params';
export * from './geometry';
export * from './ppe';
export * from './intrusion';
export * from './evaluate';
export * from './labels';
export * from './debounce';
