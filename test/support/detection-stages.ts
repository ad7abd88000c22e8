import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Logger } from '@nestjs/common';
import { cameraConfigSchema, type Frame } from '@vigil/contracts';
import { AnnotatedDemand } from '../../apps/inference/src/annotated-demand';
import { CameraDetection } from '../../apps/inference/src/cameras/camera-detection';
import type { DetectionOutputs } from '../../apps/inference/src/detection-outputs';
import { DetectionStages } from '../../apps/inference/src/detection-stages';
import { InferenceMetrics } from '../../apps/inference/src/inference-metrics';
import type { LoadedModel } from '../../apps/inference/src/model/model-runtime';
import { MetricsService } from '../../libs/metrics/src/metrics.service';
import { requireExecutable } from '../../scripts/support';

export interface StagesSetup {
  /** cameras by id, each with the model as its detector unless `motion` names it */
  cameras: string[];
  motion?: string[];
  /** the ways out; those left out do nothing */
  outputs?: Partial<Record<'detections' | 'annotated' | 'violation', unknown>>;
  metrics?: MetricsService | InferenceMetrics;
  /** the annotated stream's clock */
  now?: () => number;
  logger?: Logger;
}

/** Inference's batch stages for `cameras` (ungated), with the given model and outputs. */
export function testStages(model: LoadedModel | undefined, setup: StagesSetup): DetectionStages {
  const states = new Map(
    setup.cameras.map((id) => {
      const detector = setup.motion?.includes(id) ? 'motion' : 'model';
      return [id, new CameraDetection(cameraConfigSchema.parse({ id, url: 'test://ball', detect: { detector, motionGate: false } }), model?.config)];
    }),
  );
  const metrics = setup.metrics instanceof InferenceMetrics ? setup.metrics : new InferenceMetrics(setup.metrics ?? new MetricsService());
  return new DetectionStages({
    model,
    camera: (id) => states.get(id),
    outputs: { detections: () => undefined, annotated: async () => 0, violation: async () => undefined, ...setup.outputs } as unknown as DetectionOutputs,
    metrics,
    demand: new AnnotatedDemand(1500, setup.now),
    logger: setup.logger ?? new Logger('test'),
  });
}

/** One raw frame of `camera`, as the bus gives it to inference. */
export function inferenceFrame(camera: string, seq: number, data: Buffer): Frame {
  return { camera, stream: 'raw', seq, ts: 1000 + seq, width: 1920, height: 1080, format: 'jpeg', data };
}

/** A 1920x1080 JPEG of ffmpeg's testsrc2, written in `dir`: enough in it for the test models to find something. */
export async function testJpeg(dir: string): Promise<Buffer> {
  const ffmpeg = requireExecutable('ffmpeg', 'Install ffmpeg (apt-get install ffmpeg).');
  const path = join(dir, 'hd.jpg');
  await promisify(execFile)(ffmpeg, ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080', '-frames:v', '1', path]);
  return readFile(path);
}

/**
 * A JPEG that passes the bus's checks (its header, tables and frame size are a real one's) but does not decode: the
 * scan is cut and `garbage` bytes stand in for it before the end marker.
 */
export function undecodableJpeg(jpeg: Buffer, garbage: Buffer = Buffer.alloc(0)): Buffer {
  const scan = jpeg.indexOf(Buffer.from([0xff, 0xda]));
  return Buffer.concat([jpeg.subarray(0, scan), garbage, Buffer.from([0xff, 0xd9])]);
}
