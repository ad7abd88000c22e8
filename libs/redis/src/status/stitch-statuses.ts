import { Injectable } from '@nestjs/common';
import { keys, stitchStatusSchema, type StitchStatus } from '@vigil/contracts';
import { RedisConnections } from '../redis-connections';
import { RecordHash } from './record-hash';

/** Panorama state per camera: written by the stitch replica that makes it, read by publish. */
@Injectable()
export class StitchStatuses extends RecordHash<StitchStatus> {
  constructor(connections: RedisConnections) {
    super(connections, { role: 'stitch-status', key: keys.stitchStatus, kind: 'stitch status', schema: stitchStatusSchema, idOf: (status) => status.camera });
  }
}
