export * from './clips';
export * from './lifecycle';
export * from './webhooks';
export * from './store';
export * from './alarm-settings';
