import { Injectable, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { keys, type CameraConfig, type CameraStatus, type InferenceStatus } from '@vigil/contracts';
import { RedisConnections } from './redis-connections';

/**
 * The cameras every service and replica sees, kept in Redis: configs in one hash, live status in
 * another (written by whichever ingest instance owns the camera).
 */
@Injectable()
export class CameraRegistry implements OnModuleInit {
  private redis!: Redis;

  constructor(private readonly connections: RedisConnections) {}

  onModuleInit(): void {
    this.redis = this.connections.create('registry');
  }

  async list(): Promise<CameraConfig[]> {
    const all = await this.redis.hgetall(keys.cameras);
    return Object.values(all)
      .map((json) => JSON.parse(json) as CameraConfig)
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  async get(id: string): Promise<CameraConfig | undefined> {
    const json = await this.redis.hget(keys.cameras, id);
    return json === null ? undefined : (JSON.parse(json) as CameraConfig);
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

  async statuses(): Promise<Map<string, CameraStatus>> {
    const all = await this.redis.hgetall(keys.cameraStatus);
    return new Map(Object.entries(all).map(([id, json]) => [id, JSON.parse(json) as CameraStatus]));
  }

  async status(id: string): Promise<CameraStatus | undefined> {
    const json = await this.redis.hget(keys.cameraStatus, id);
    return json === null ? undefined : (JSON.parse(json) as CameraStatus);
  }

  async setStatus(status: CameraStatus): Promise<void> {
    await this.redis.hset(keys.cameraStatus, status.id, JSON.stringify(status));
  }

  /** Inference counters per camera, written by the inference service. */
  async inferenceStatuses(): Promise<Map<string, InferenceStatus>> {
    const all = await this.redis.hgetall(keys.inferenceStatus);
    return new Map(Object.entries(all).map(([id, json]) => [id, JSON.parse(json) as InferenceStatus]));
  }

  async inferenceStatus(id: string): Promise<InferenceStatus | undefined> {
    const json = await this.redis.hget(keys.inferenceStatus, id);
    return json === null ? undefined : (JSON.parse(json) as InferenceStatus);
  }

  async clearStatus(id: string): Promise<void> {
    await this.redis.hdel(keys.cameraStatus, id);
  }
}
