/**
 * Fault 5: one camera sends a JPEG that passes every check the bus makes (a valid envelope, a real header of the
 * announced size, start and end markers) but whose scan is garbage. Inference's batch stages with the real OpenCV
 * addon and onnxruntime-node: only that camera's frame fails; the other cameras of the batch get their detections,
 * and the bad frame is counted and logged naming its camera, once per interval however many follow.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Logger, type LoggerService } from '@nestjs/common';
import { loadConfig } from '@vigil/config';
import { encodeFrame, readFrameMessage, type DetectionsEvent, type Frame } from '@vigil/contracts';
import { InferenceMetrics } from '../../apps/inference/src/inference-metrics';
import { ModelRuntime, type LoadedModel } from '../../apps/inference/src/model/model-runtime';
import { MetricsService } from '../../libs/metrics/src/metrics.service';
import { Readiness } from '../../libs/platform/src/readiness';
import { inferenceFrame, testJpeg, testStages, undecodableJpeg } from '../support/detection-stages';
import { reportFault } from '../support/fault-report';
import { writeTestModels } from '../support/onnx-models';
import { mulberry32 } from '../support/seeded-random';

describe('fault: one camera sends an undecodable JPEG', { timeout: 120_000 }, () => {
  let dir: string;
  let jpeg: Buffer;
  let runtime: ModelRuntime;
  let model: LoadedModel;
  const warnings: string[] = [];

  before(async () => {
    // every Nest logger of the process writes here: BadMessages logs through one of its own
    const quiet = (): void => undefined;
    Logger.overrideLogger({ log: quiet, error: quiet, debug: quiet, verbose: quiet, warn: (message: unknown) => warnings.push(String(message)) } satisfies LoggerService);
    dir = await mkdtemp(join(tmpdir(), 'vigil-fault-jpeg-'));
    jpeg = await testJpeg(dir);
    const models = await writeTestModels(dir);
    runtime = new ModelRuntime(loadConfig({ MODEL_PATH: models.v8, MODEL_PROVIDER: 'cpu' }), new InferenceMetrics(new MetricsService()), new Readiness());
    model = (await runtime.load())!;
  });

  after(async () => {
    Logger.overrideLogger(false);
    await runtime?.onApplicationShutdown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Seeded noise without 0xff bytes, so no marker in it could start a scan that decodes: garbage, the same on every run. */
  const garbage = (bytes: number): Buffer => {
    const random = mulberry32(12);
    return Buffer.from(Array.from({ length: bytes }, () => Math.floor(random() * 0xff)));
  };

  /** A frame as inference reads it off `camera`'s channel: through the envelope codec and the bus's checks. */
  const offTheBus = (camera: string, seq: number, data: Buffer): Frame => {
    const read = readFrameMessage(encodeFrame(inferenceFrame(camera, seq, data)), { camera, stream: 'raw' }, 8 * 1024 * 1024);
    assert.ok(read.ok, `camera ${camera}'s frame passes the bus's checks`);
    return read.value;
  };

  // the bug: one camera's undecodable frame failed the whole batch, and every other camera's frame in it with it
  test("only the bad camera's frame fails: the others get detections, the bad one is counted and logged, throttled", async () => {
    const metrics = new MetricsService();
    const events: DetectionsEvent[] = [];
    const cameras = ['gate', 'yard', 'dock', 'bad'];
    const stages = testStages(model, { cameras, motion: ['dock'], metrics, outputs: { detections: (event: DetectionsEvent) => events.push(event) } });
    const batch = async (seq: number): Promise<void> => {
      const taken = cameras.map((camera) => ({ camera, frame: offTheBus(camera, seq, camera === 'bad' ? undecodableJpeg(jpeg, garbage(4096)) : jpeg) }));
      await stages.finish(await stages.run(await stages.prepare(taken)));
    };

    await batch(0);
    assert.deepEqual(events.map((event) => [event.camera, event.detector]).sort(), [['dock', 'motion'], ['gate', 'v8'], ['yard', 'v8']], 'every other camera of the batch');
    for (const event of events.filter((each) => each.detector === 'v8')) assert.ok(event.detections.length > 0, `camera ${event.camera} got its detections`);
    const logged = warnings.filter((line) => line.includes('camera bad:'));
    assert.equal(logged.length, 1, 'one line names the camera');
    assert.match(logged[0]!, /jpeg/);
    assert.equal(warnings.filter((line) => /camera (gate|yard|dock)/.test(line)).length, 0, 'nothing about the good cameras');

    await batch(1);
    assert.equal(events.length, 6, 'the next batch goes through the same way');
    const counted = (await metrics.text()).split('\n').find((line) => line.startsWith('vigil_bus_bad_messages_total{'));
    assert.equal(counted, 'vigil_bus_bad_messages_total{consumer="inference",camera="bad",reason="jpeg"} 2', 'each bad frame counted for its camera');
    assert.equal(warnings.filter((line) => line.includes('camera bad:')).length, 1, 'the second within the minute is counted, not logged');

    reportFault({ fault: 'one camera sends undecodable JPEGs (garbage scan)', recoveryMs: 0, lost: { frames: 2 }, note: "only the bad camera's 2 frames; the other cameras of each batch got detections" });
  });
});
