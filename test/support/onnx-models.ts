import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';

/**
 * Small YOLO-shaped ONNX models whose output is a known function of the input, so a test decides which boxes,
 * classes and scores come out by setting a few "marker" pixels of the `images` input [B, 3, size, size]:
 *
 * - class c's score of anchor n  = pixel (channel 0, row c, column n)
 * - cx, cy, w, h of anchor n      = size × pixel (channel 1, rows 0..3, column n): pixels stay in 0..1 like an image's
 * - objectness of anchor n (v5)   = pixel (channel 2, row 0, column n)
 *
 * The graph is Slice, Mul, Concat, Squeeze (and Transpose for YOLOv5), so every image of a batch is computed from
 * its own pixels only. `writeAnchor` sets the markers for one anchor of one image.
 */
export interface YoloTestModelSpec {
  layout: 'v8' | 'v5';
  /** written as Ultralytics' `names` metadata (a Python dict repr); omitted when `metadata` is false */
  classNames: string[];
  /** candidate boxes N; at most `size` */
  anchors: number;
  /** input height and width */
  size: number;
  /** a fixed batch size, or a dynamic `batch` dimension as in `ultralytics export dynamic=True` */
  batch: number | 'dynamic';
  /** class rows the head really outputs, when it should disagree with `classNames` (a model to refuse) */
  headClasses?: number;
  /** write Ultralytics-style metadata_props (default true) */
  metadata?: boolean;
}

export interface AnchorMarker {
  /** x1, y1, x2, y2 in input pixels */
  box: readonly [number, number, number, number];
  /** one score per class (missing ones are 0) */
  scores: readonly number[];
  /** YOLOv5 only */
  objectness?: number;
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

export function yoloTestModel(spec: YoloTestModelSpec): Uint8Array {
  const { layout, size, anchors: N } = spec;
  const C = spec.headClasses ?? spec.classNames.length;
  if (N > size || C > size) throw new Error(`test model: anchors (${N}) and classes (${C}) must fit in a ${size}-pixel row`);
  const batch: onnx.TensorShapeProto.IDimension = spec.batch === 'dynamic' ? { dimParam: 'batch' } : { dimValue: spec.batch };

  const initializer: onnx.ITensorProto[] = [
    int64('box_starts', [1, 0, 0]),
    int64('box_ends', [2, 4, N]),
    int64('cls_starts', [0, 0, 0]),
    int64('cls_ends', [1, C, N]),
    int64('slice_axes', [1, 2, 3]),
    int64('channel_axis', [1]),
    { name: 'size', dataType: FLOAT, dims: [], floatData: [size] },
  ];
  const node: onnx.INodeProto[] = [
    op('Slice', ['images', 'box_starts', 'box_ends', 'slice_axes'], 'box_pixels'),
    op('Mul', ['box_pixels', 'size'], 'boxes'),
    op('Slice', ['images', 'cls_starts', 'cls_ends', 'slice_axes'], 'scores'),
  ];
  const rows = ['boxes'];
  if (layout === 'v5') {
    initializer.push(int64('obj_starts', [2, 0, 0]), int64('obj_ends', [3, 1, N]));
    node.push(op('Slice', ['images', 'obj_starts', 'obj_ends', 'slice_axes'], 'objectness'));
    rows.push('objectness');
  }
  rows.push('scores');
  node.push(op('Concat', rows, 'stacked', [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 2 }]));
  if (layout === 'v8') {
    node.push(op('Squeeze', ['stacked', 'channel_axis'], 'output0'));
  } else {
    node.push(op('Squeeze', ['stacked', 'channel_axis'], 'by_row'));
    node.push(op('Transpose', ['by_row'], 'output0', [{ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [0, 2, 1] }]));
  }
  const outputDims = layout === 'v8' ? [batch, { dimValue: 4 + C }, { dimValue: N }] : [batch, { dimValue: N }, { dimValue: 5 + C }];

  const model: onnx.IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'vigil tests',
    graph: {
      name: `yolo_${layout}_test`,
      node,
      initializer,
      input: [tensorInfo('images', [batch, { dimValue: 3 }, { dimValue: size }, { dimValue: size }])],
      output: [tensorInfo('output0', outputDims)],
    },
    metadataProps:
      spec.metadata === false
        ? []
        : [
            { key: 'description', value: `vigil test model, ${layout} layout` },
            { key: 'task', value: 'detect' },
            { key: 'stride', value: '32' },
            { key: 'batch', value: String(spec.batch === 'dynamic' ? 1 : spec.batch) },
            { key: 'imgsz', value: `[${size}, ${size}]` },
            { key: 'names', value: pythonDict(spec.classNames) },
          ],
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** Sets the marker pixels of one anchor of image `image` in an NCHW input made for `spec`. */
export function writeAnchor(input: Float32Array, spec: YoloTestModelSpec, image: number, anchor: number, marker: AnchorMarker): void {
  const { size } = spec;
  const plane = size * size;
  const at = (channel: number, row: number): number => (image * 3 + channel) * plane + row * size + anchor;
  const [x1, y1, x2, y2] = marker.box;
  [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1].forEach((value, row) => (input[at(1, row)] = value / size));
  const classes = spec.headClasses ?? spec.classNames.length;
  for (let c = 0; c < classes; c++) input[at(0, c)] = marker.scores[c] ?? 0;
  input[at(2, 0)] = marker.objectness ?? 0;
}

/** A zeroed input for `batch` images of `spec`: no anchor scores anything until `writeAnchor` says so. */
export function blankInput(spec: YoloTestModelSpec, batch: number): Float32Array {
  return new Float32Array(batch * 3 * spec.size * spec.size);
}

export const TEST_CLASSES = ['person', 'helmet', "driver's cab"];

/** The models the medium tests load; `paths` are files in `dir`. */
export const testModelSpecs = {
  v8: { layout: 'v8', classNames: TEST_CLASSES, anchors: 16, size: 64, batch: 'dynamic' },
  v5: { layout: 'v5', classNames: TEST_CLASSES, anchors: 16, size: 64, batch: 'dynamic' },
  v8FixedBatch: { layout: 'v8', classNames: TEST_CLASSES, anchors: 16, size: 64, batch: 1 },
  /** five rows of class scores but three names: the service must refuse it */
  v8WrongHead: { layout: 'v8', classNames: TEST_CLASSES, anchors: 16, size: 64, batch: 'dynamic', headClasses: 5 },
  v8NoMetadata: { layout: 'v8', classNames: TEST_CLASSES, anchors: 16, size: 64, batch: 'dynamic', metadata: false },
} satisfies Record<string, YoloTestModelSpec>;

export type TestModelName = keyof typeof testModelSpecs;

export async function writeTestModels(dir: string): Promise<Record<TestModelName, string>> {
  const paths = {} as Record<TestModelName, string>;
  for (const [name, spec] of Object.entries(testModelSpecs) as [TestModelName, YoloTestModelSpec][]) {
    paths[name] = join(dir, `${name}.onnx`);
    await writeFile(paths[name], yoloTestModel(spec));
  }
  return paths;
}

/** A model that takes no image (a [batch, 10] vector, passed through): the service must refuse it at start. */
export function vectorModel(): Uint8Array {
  const dims: onnx.TensorShapeProto.IDimension[] = [{ dimParam: 'batch' }, { dimValue: 10 }];
  const model: onnx.IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'vector', node: [op('Identity', ['features'], 'scores')], input: [tensorInfo('features', dims)], output: [tensorInfo('scores', dims)] },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** Python's repr of {0: name, ...}, as Ultralytics writes `names`: single quotes unless the name holds one. */
export function pythonDict(names: readonly string[]): string {
  return `{${names.map((name, id) => `${id}: ${pythonString(name)}`).join(', ')}}`;
}

function pythonString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const body = text.replace(/\\/g, '\\\\').replace(new RegExp(quote, 'g'), `\\${quote}`).replace(/\n/g, '\\n');
  return `${quote}${body}${quote}`;
}

function int64(name: string, values: number[]): onnx.ITensorProto {
  return { name, dataType: INT64, dims: [values.length], int64Data: values };
}

function op(opType: string, input: string[], output: string, attribute: onnx.IAttributeProto[] = []): onnx.INodeProto {
  return { opType, input, output: [output], name: `${opType}_${output}`, attribute };
}

function tensorInfo(name: string, dim: onnx.TensorShapeProto.IDimension[]): onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim } } } };
}
