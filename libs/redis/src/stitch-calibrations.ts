import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { CAMERA_ID_PATTERN, keys } from '@vigil/contracts';
import { stitchCalibrationSchema } from '@vigil/stitch';
import { RedisConnections } from './redis-connections';
import { RecordHash } from './status/record-hash';

const cameraId = z.string().regex(CAMERA_ID_PATTERN);

/**
 * What is stored per panorama: the calibration, checked by the stitching library's schema (every number bounded,
 * the layout recomputed from the homography), and which inputs it was made for (a changed source voids it).
 */
export const storedCalibrationSchema = z
  .object({
    camera: cameraId,
    inputs: z.tuple([cameraId, cameraId]),
    calibration: stitchCalibrationSchema,
  })
  .strict();
export type StoredCalibration = z.infer<typeof storedCalibrationSchema>;

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
