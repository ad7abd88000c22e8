import { Injectable } from '@nestjs/common';
import { keys, storedCalibrationSchema, type StoredCalibration } from '@vigil/contracts';
import { RedisConnections } from './redis-connections';
import { RecordHash } from './status/record-hash';

/**
 * Each panorama's calibration, so that a restarted (or another) stitch replica renders at once instead of matching
 * features again. Read back it is checked like any record: a homography from Redis decides what every pixel shows.
 */
@Injectable()
export class StitchCalibrations extends RecordHash<StoredCalibration> {
  constructor(connections: RedisConnections) {
    super(connections, { role: 'stitch-calibration', key: keys.stitchCalibration, kind: 'stitch calibration', schema: storedCalibrationSchema, idOf: (record) => record.camera });
  }
}
