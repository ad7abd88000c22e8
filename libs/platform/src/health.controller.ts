import { Controller, Get, HttpException, HttpStatus, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { RedisConnections } from '@vigil/redis';
import { Access } from './access/access';
import type { HealthDown, HealthUp } from './health-status';

/**
 * Liveness and readiness, open to anyone (probes carry no credentials), so they say nothing but up or down: no
 * error text, no host, no version. Why Redis is down is in the log.
 */
@Controller()
@Access('public')
export class HealthController implements OnModuleInit {
  private redis!: Redis;

  constructor(private readonly connections: RedisConnections) {}

  onModuleInit(): void {
    this.redis = this.connections.create('health', { maxRetriesPerRequest: 0, enableOfflineQueue: false });
  }

  /** 200 while the process serves requests. */
  @Get('livez')
  live(): HealthUp {
    return { status: 'ok' };
  }

  /** 200 while Redis answers, 503 otherwise: without the bus no frame moves. */
  @Get('readyz')
  ready(): Promise<HealthUp> {
    return this.redisUp();
  }

  /** readyz under its older name, which probes and scripts already use. */
  @Get('healthz')
  health(): Promise<HealthUp> {
    return this.redisUp();
  }

  private async redisUp(): Promise<HealthUp> {
    try {
      await this.redis.ping();
    } catch {
      throw new HttpException({ status: 'unavailable' } satisfies HealthDown, HttpStatus.SERVICE_UNAVAILABLE);
    }
    return { status: 'ok' };
  }
}
