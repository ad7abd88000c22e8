// Alarm notifications that leave vigil: signed (Standard Webhooks) webhooks from a durable BullMQ outbox with
// retries and dead letters, and an optional MQTT feed.
export * from './signature';
export * from './endpoints';
export * from './retry-schedule';
export * from './delivery-job';
export * from './delivery-state';
export * from './outbox-options';
export * from './webhook-http-client';
export * from './webhook-outbox';
export * from './mqtt-alarm-sink';
