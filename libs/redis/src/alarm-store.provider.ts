import type { Provider } from '@nestjs/common';
import { AlarmStore } from './alarm-store';
import { RedisConnections } from './redis-connections';

/** The alarm records in Redis, on a connection of their own (publish and alarms both use it). */
export const alarmStoreProvider: Provider = {
  provide: AlarmStore,
  inject: [RedisConnections],
  useFactory: (connections: RedisConnections) => new AlarmStore(connections.create('alarm-store')),
};
