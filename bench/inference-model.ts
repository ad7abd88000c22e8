/**
 * The bench's model: generated, not downloaded (nothing to fetch, same bytes on every machine). YOLOv8 layout at
 * 640x640 with a dynamic batch and 8400 anchors like a real 640 export, and a chain of convolutions whose cost is
 * about YOLOv8n's (8.7 GFLOPs), so session.run takes what a small YOLO takes and the share outside it means something.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { computeLoadFlops, yoloTestModel, type YoloTestModelSpec } from '../test/support/onnx-models';
import { repoRoot } from './clip';

export const BENCH_MODEL = {
  layout: 'v8',
  // a helmet/harness model's kind of label set
  classNames: ['person', 'helmet', 'no_helmet', 'vest', 'no_vest', 'harness', 'no_harness', 'goggles', 'gloves', 'forklift'],
  anchors: 8400,
  size: 640,
  batch: 'dynamic',
  compute: { layers: 20, channels: 64 },
} satisfies YoloTestModelSpec;

export interface BenchModel {
  path: string;
  /** for the printed line */
  description: string;
}

/** Writes the model to .vigil/bench/ (git-ignored); it takes a fraction of a second, so it is not cached. */
export async function writeBenchModel(): Promise<BenchModel> {
  const spec = BENCH_MODEL;
  const dir = join(repoRoot(), '.vigil', 'bench');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `yolov8-generated-${spec.size}-${spec.compute.layers}x${spec.compute.channels}.onnx`);
  await writeFile(path, yoloTestModel(spec));
  const gflops = computeLoadFlops(spec) / 1e9;
  const description =
    `generated YOLOv8 layout, output [batch, ${4 + spec.classNames.length}, ${spec.anchors}], input ${spec.size}x${spec.size}, dynamic batch, ` +
    `${spec.compute.layers} conv 3x3 + Relu layers (stride-2 stem to ${spec.size / 8}x${spec.size / 8}, ${spec.compute.channels} channels), ` +
    `${gflops.toFixed(1)} GFLOPs/image approx (YOLOv8n: 8.7)`;
  return { path, description };
}
