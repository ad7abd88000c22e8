import { Injectable, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { RedisConnections } from './redis-connections';

/** Whether Redis answers now, for readiness: its own connection, which fails at once rather than queueing the ping. */
@Injectable()
export class RedisProbe implements OnModuleInit {
  private redis!: Redis;

  constructor(private readonly connections: RedisConnections) {}

  onModuleInit(): void {
    this.redis = this.connections.create('health', { maxRetriesPerRequest: 0, enableOfflineQueue: false });
  }

  async reachable(): Promise<boolean> {
    try {
      await this.redis.ping();
      return true;
    } catch {
      return false;
    }
  }
}
