export * from './alarm-query';
export * from './alarm-store';
export * from './alarm-store.provider';
