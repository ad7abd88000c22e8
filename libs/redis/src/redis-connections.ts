import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { createRedisClient } from './redis-options';

/**
 * Creates and closes every Redis connection of a process. A subscriber connection cannot run
 * other commands, and a busy publisher should not delay registry reads, so each role gets its own.
 */
@Injectable()
export class RedisConnections implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisConnections.name);
  private readonly open = new Set<Redis>();

  constructor(@Inject(VIGIL_CONFIG) private readonly config: VigilConfig) {}

  create(role: string, options: RedisOptions = {}): Redis {
    const client = createRedisClient(this.config.redisUrl, role, options);
    let down = false;
    client.on('error', (error: Error) => {
      if (!down) this.logger.warn(`redis (${role}): ${error.message}`);
      down = true;
    });
    client.on('ready', () => {
      if (down) this.logger.log(`redis (${role}): connected again`);
      down = false;
    });
    this.open.add(client);
    return client;
  }

  /** Closes one connection before shutdown (a camera's bus connection when its last channel goes). */
  async close(client: Redis): Promise<void> {
    this.open.delete(client);
    await client.quit().catch(() => client.disconnect());
  }

  /** The last shutdown phase: services stop their work (and write final state) in beforeApplicationShutdown. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.open].map((client) => client.quit().catch(() => client.disconnect())));
    this.open.clear();
  }
}
