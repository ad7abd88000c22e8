import { Controller, Get, HttpException, HttpStatus } from '@nestjs/common';
import { RedisProbe } from '@vigil/redis';
import { Access } from './access/access';
import type { HealthDown, HealthUp } from './health-status';
import { Readiness } from './readiness';

/**
 * Liveness and readiness, open to anyone (probes carry no credentials), so they say nothing but up or down and, when
 * down, which components: no error text, no host, no version. Why a component is down is in the log.
 */
@Controller()
@Access('public')
export class HealthController {
  constructor(
    private readonly redis: RedisProbe,
    private readonly readiness: Readiness,
  ) {}

  /**
   * 200 while the process serves requests: nothing else is asked, so that a Redis outage does not make the
   * orchestrator restart every pod (that is readiness's business).
   */
  @Get('livez')
  live(): HealthUp {
    return { status: 'ok' };
  }

  /** 200 while Redis answers and every component of this process is ready (its workers run), 503 otherwise. */
  @Get('readyz')
  ready(): Promise<HealthUp> {
    return this.readyOrDown();
  }

  /** readyz under its older name, which probes and scripts already use. */
  @Get('healthz')
  health(): Promise<HealthUp> {
    return this.readyOrDown();
  }

  private async readyOrDown(): Promise<HealthUp> {
    const degraded = this.readiness.degraded();
    if (!(await this.redis.reachable())) degraded.unshift('redis');
    if (degraded.length > 0) throw new HttpException({ status: 'unavailable', degraded } satisfies HealthDown, HttpStatus.SERVICE_UNAVAILABLE);
    return { status: 'ok' };
  }
}
