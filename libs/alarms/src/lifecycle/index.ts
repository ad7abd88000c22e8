export * from './alarm-policy';
export * from './alarm-tracker';
export * from './alarm-id';
