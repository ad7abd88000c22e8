import { Controller, Get, HttpException, HttpStatus, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { RedisConnections } from '@vigil/redis';

@Controller()
export class HealthController implements OnModuleInit {
  private redis!: Redis;

  constructor(private readonly connections: RedisConnections) {}

  onModuleInit(): void {
    this.redis = this.connections.create('health', { maxRetriesPerRequest: 0, enableOfflineQueue: false });
  }

  /** 200 while Redis answers, 503 otherwise: without the bus no frame moves. */
  @Get('healthz')
  async health(): Promise<{ status: 'ok'; redis: 'up' }> {
    try {
      await this.redis.ping();
    } catch (error) {
      throw new HttpException({ status: 'unavailable', redis: 'down', error: (error as Error).message }, HttpStatus.SERVICE_UNAVAILABLE);
    }
    return { status: 'ok', redis: 'up' };
  }
}
