import { randomBytes } from 'node:crypto';
import { Injectable, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { keys } from '@vigil/contracts';
import { RedisConnections } from './redis-connections';

/** KEYS[1] the generation key; ARGV[1] a new token, set only if there is none */
const CURRENT_OR_NEW = `
local current = redis.call('GET', KEYS[1])
if current then return current end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
`;

/**
 * Which life of Redis's data the registry is in (keys.registryGeneration). The token never changes while Redis
 * keeps its data; a different one than last time means the data was lost since. Read and, if missing, created in
 * one step, so that replicas finding it gone at once agree on the new one.
 */
@Injectable()
export class RegistryGeneration implements OnModuleInit {
  private redis!: Redis;

  constructor(private readonly connections: RedisConnections) {}

  onModuleInit(): void {
    this.redis = this.connections.create('registry-generation');
  }

  async current(): Promise<string> {
    const token = await this.redis.eval(CURRENT_OR_NEW, 1, keys.registryGeneration, randomBytes(12).toString('hex'));
    if (typeof token !== 'string' || token.length === 0) throw new Error(`${keys.registryGeneration}: not a token`);
    return token;
  }
}
