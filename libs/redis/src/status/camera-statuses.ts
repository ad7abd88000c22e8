import { Injectable } from '@nestjs/common';
import { cameraStatusSchema, keys, type CameraStatus } from '@vigil/contracts';
import { RedisConnections } from '../redis-connections';
import { RecordHash } from './record-hash';

/** Capture status per camera: written by the ingest instance that owns the camera, read by publish. */
@Injectable()
export class CameraStatuses extends RecordHash<CameraStatus> {
  constructor(connections: RedisConnections) {
    super(connections, { role: 'camera-status', key: keys.cameraStatus, kind: 'camera status', schema: cameraStatusSchema, idOf: (status) => status.id });
  }
}
