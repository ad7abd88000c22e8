import { Injectable } from '@nestjs/common';
import { inferenceStatusSchema, keys, type InferenceStatus } from '@vigil/contracts';
import { RedisConnections } from '../redis-connections';
import { RecordHash } from './record-hash';

/** Inference counters per camera: written by the inference replica that runs the camera, read by publish. */
@Injectable()
export class InferenceStatuses extends RecordHash<InferenceStatus> {
  constructor(connections: RedisConnections) {
    super(connections, { role: 'inference-status', key: keys.inferenceStatus, kind: 'inference status', schema: inferenceStatusSchema, idOf: (status) => status.camera });
  }
}
