import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import type { z } from 'zod';
import { cameraConfigSchema, keys, type CameraConfig, type CameraStatus } from '@vigil/contracts';
import { RedisConnections } from './redis-connections';
import { RecordCheck } from './record-check';
import { CameraStatuses } from './status/camera-statuses';

export type PutOutcome = 'added' | 'updated' | 'exists' | 'full';

/** KEYS[1] the registry hash; ARGV: id, record, max records, create only (1) */
const PUT_WITHIN = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  if ARGV[4] == '1' then return 'exists' end
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 'updated'
end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 'full' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 'added'
`;

/**
 * The cameras every service and replica sees, kept in Redis in one hash. Their live status is in CameraStatuses and
 * InferenceStatuses; removing a camera removes its status records with it, in one step.
 */
@Injectable()
export class CameraRegistry implements OnModuleInit {
  private redis!: Redis;
  private readonly check = new RecordCheck(new Logger(CameraRegistry.name));

  constructor(
    private readonly connections: RedisConnections,
    private readonly statuses: CameraStatuses,
  ) {}

  onModuleInit(): void {
    this.redis = this.connections.create('registry');
  }

  async list(): Promise<CameraConfig[]> {
    const all = await this.redis.hgetall(keys.cameras);
    return this.checkAll('camera', all, cameraConfigSchema, (camera) => camera.id).sort((a, b) => a.id.localeCompare(b.id));
  }

  async get(id: string): Promise<CameraConfig | undefined> {
    const json = await this.redis.hget(keys.cameras, id);
    return json === null ? undefined : this.check.read('camera', id, json, cameraConfigSchema, (camera) => camera.id);
  }

  /**
   * Writes a camera unless that would pass `max` records (valid or not: each takes room), in one step, so that concurrent requests (on any
   * replica) cannot together pass it. `create` refuses to replace an existing camera.
   */
  async put(camera: CameraConfig, options: { max: number; create: boolean }): Promise<PutOutcome> {
    const outcome = await this.redis.eval(PUT_WITHIN, 1, keys.cameras, camera.id, JSON.stringify(camera), String(options.max), options.create ? '1' : '0');
    return outcome as PutOutcome;
  }

  /** Returns true when the camera is new. */
  async upsert(camera: CameraConfig): Promise<boolean> {
    const added = await this.redis.hset(keys.cameras, camera.id, JSON.stringify(camera));
    return added === 1;
  }

  /** Returns true when a camera was removed. */
  async remove(id: string): Promise<boolean> {
    const [[, removed]] = (await this.redis.multi().hdel(keys.cameras, id).hdel(keys.cameraStatus, id).hdel(keys.inferenceStatus, id).exec()) as [[null, number], ...unknown[]];
    return removed === 1;
  }

  /**
   * Forwards to CameraStatuses, which owns the status hash: ingest's runner and service still write through here
   * until they take CameraStatuses themselves (both are being rewritten on the worker kernel).
   */
  setStatus(status: CameraStatus): Promise<void> {
    return this.statuses.put(status);
  }

  clearStatus(id: string): Promise<void> {
    return this.statuses.delete(id);
  }

  private checkAll<T>(kind: string, all: Record<string, string>, schema: z.ZodType<T, z.ZodTypeDef, unknown>, idOf: (record: T) => string): T[] {
    return Object.entries(all).flatMap(([id, json]) => {
      const record = this.check.read(kind, id, json, schema, idOf);
      return record === undefined ? [] : [record];
    });
  }
}
