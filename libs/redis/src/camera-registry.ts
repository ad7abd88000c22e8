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

/** KEYS[1] the registry hash; ARGV: max records, then id and record pairs. All are added, or none. */
const ADD_ALL_WITHIN = `
for i = 2, #ARGV, 2 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then return {'exists', ARGV[i]} end
end
local adding = (#ARGV - 1) / 2
if redis.call('HLEN', KEYS[1]) + adding > tonumber(ARGV[1]) then return {'full', ''} end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return {'added', ''}
`;

export type AddAllOutcome = { outcome: 'added' } | { outcome: 'exists'; id: string } | { outcome: 'full' };

/** Every hash that holds a record about a camera by its id: removing a camera removes them all, in one step. */
const PER_CAMERA_HASHES = [keys.cameraStatus, keys.inferenceStatus, keys.stitchStatus, keys.stitchCalibration];

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

  /**
   * Adds cameras that must come together (a panorama and the inputs made for it): in one step, none if any id exists
   * already or if they would pass `max` records.
   */
  async addAll(cameras: readonly CameraConfig[], options: { max: number }): Promise<AddAllOutcome> {
    const pairs = cameras.flatMap((camera) => [camera.id, JSON.stringify(camera)]);
    const [outcome, id] = (await this.redis.eval(ADD_ALL_WITHIN, 1, keys.cameras, String(options.max), ...pairs)) as [string, string];
    if (outcome === 'exists') return { outcome, id };
    return outcome === 'full' ? { outcome } : { outcome: 'added' };
  }

  /** Returns true when the camera is new. */
  async upsert(camera: CameraConfig): Promise<boolean> {
    const added = await this.redis.hset(keys.cameras, camera.id, JSON.stringify(camera));
    return added === 1;
  }

  /** Returns true when a camera was removed. */
  async remove(id: string): Promise<boolean> {
    return (await this.removeAll([id])) > 0;
  }

  /** Removes cameras and every record about them, in one step; returns how many cameras were there. */
  async removeAll(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const transaction = this.redis.multi().hdel(keys.cameras, ...ids);
    for (const hash of PER_CAMERA_HASHES) transaction.hdel(hash, ...ids);
    const [[, removed]] = (await transaction.exec()) as [[null, number], ...unknown[]];
    return removed;
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
