export * from './redis-connections';
export * from './redis-options';
export * from './frame-subscriber';
export * from './frame-publisher';
export * from './camera-registry';
export * from './camera-leases';
export * from './stream-consumer';
export * from './redis.module';
