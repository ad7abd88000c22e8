export * from './envelope';
export * from './channels';
export * from './source';
export * from './camera';
export * from './socket-events';
export * from './detection';
export * from './alarm';
export * from './egress';
