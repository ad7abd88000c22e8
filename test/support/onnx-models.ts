import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { mulberry32 } from './seeded-random';

/**
 * Small YOLO-shaped ONNX models whose output is a known function of the input, so a test decides which boxes,
 * classes and scores come out by setting a few "marker" pixels of the `images` input [B, 3, size, size]:
 *
 * - class c's score of anchor n  = pixel (channel 0, row c, column n)
 * - cx, cy, w, h of anchor n      = size × pixel (channel 1, rows 0..3, column n): pixels stay in 0..1 like an image's
 * - objectness of anchor n (v5)   = pixel (channel 2, row 0, column n)
 *
 * More anchors than `size` (8400, as a real 640 export has) come in bands of `size` columns: anchor n is column
 * n mod size of band b = floor(n / size), whose rows follow band b - 1's (class c at row b·C + c, box value r at
 * row b·4 + r, objectness at row b). With one band that is the rule above.
 *
 * The graph is Slice, Mul, Concat, Squeeze (and Transpose for YOLOv5; Reshape and Transpose for bands), so every
 * image of a batch is computed from its own pixels only. `writeAnchor` sets the markers for one anchor of one image.
 * With `compute`, a chain of convolutions also runs over the whole input and its result, times 0, is added to the
 * head: a model that costs what a small YOLO costs and still outputs the same known function.
 */
export interface YoloTestModelSpec {
  layout: 'v8' | 'v5';
  /** written as Ultralytics' `names` metadata (a Python dict repr); omitted when `metadata` is false */
  classNames: string[];
  /** candidate boxes N; beyond `size` they come in bands (see above), as many as fit the rows */
  anchors: number;
  /** input height and width */
  size: number;
  /** a fixed batch size, or a dynamic `batch` dimension as in `ultralytics export dynamic=True` */
  batch: number | 'dynamic';
  /** class rows the head really outputs, when it should disagree with `classNames` (a model to refuse) */
  headClasses?: number;
  /** write Ultralytics-style metadata_props (default true) */
  metadata?: boolean;
  /** real work for benchmarks (default none: the head alone costs next to nothing) */
  compute?: ComputeLoad;
}

/**
 * Conv 3×3 + Relu layers over the input, with fixed pseudo-random weights. The first three halve the resolution
 * (stride 2) and widen to channels/4, channels/2, channels, like a YOLO stem; the rest keep size and width.
 */
export interface ComputeLoad {
  layers: number;
  /** width of the last layers; a multiple of 4 */
  channels: number;
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
  const bands = Math.ceil(N / size);
  if (bands * Math.max(C, 4) > size) {
    throw new Error(`test model: ${N} anchors in ${bands} band(s) of ${size} need ${bands * Math.max(C, 4)} rows for ${C} classes, the input has ${size}`);
  }
  const batch: onnx.TensorShapeProto.IDimension = spec.batch === 'dynamic' ? { dimParam: 'batch' } : { dimValue: spec.batch };

  const initializer: onnx.ITensorProto[] = [
    int64('slice_axes', [1, 2, 3]),
    int64('channel_axis', [1]),
    { name: 'size', dataType: FLOAT, dims: [], floatData: [size] },
  ];
  const node: onnx.INodeProto[] = [];
  /** [B, 1, rows, N]: `rows` marker rows per band of one channel, bands laid side by side */
  const markerRows = (name: string, channel: number, rows: number): string => {
    initializer.push(int64(`${name}_starts`, [channel, 0, 0]), int64(`${name}_ends`, [channel + 1, rows * bands, bands === 1 ? N : size]));
    const sliced = bands === 1 ? name : `${name}_bands`;
    node.push(op('Slice', ['images', `${name}_starts`, `${name}_ends`, 'slice_axes'], sliced));
    if (bands === 1) return name;
    initializer.push(
      int64(`${name}_by_band`, [0, bands, rows, size]),
      int64(`${name}_by_row`, [0, 1, rows, bands * size]),
      int64(`${name}_anchor_ends`, [N]),
    );
    node.push(
      op('Reshape', [sliced, `${name}_by_band`], `${name}_by_band_4d`),
      op('Transpose', [`${name}_by_band_4d`], `${name}_rows_first`, [{ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [0, 2, 1, 3] }]),
      op('Reshape', [`${name}_rows_first`, `${name}_by_row`], `${name}_all`),
      op('Slice', [`${name}_all`, 'zero_start', `${name}_anchor_ends`, 'anchor_axis'], name),
    );
    return name;
  };
  if (bands > 1) initializer.push(int64('zero_start', [0]), int64('anchor_axis', [3]));

  node.push(op('Mul', [markerRows('box_pixels', 1, 4), 'size'], 'boxes'));
  const rows = ['boxes'];
  if (layout === 'v5') rows.push(markerRows('objectness', 2, 1));
  rows.push(markerRows('scores', 0, C));
  node.push(op('Concat', rows, 'stacked', [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 2 }]));
  const head = spec.compute ? 'head' : 'output0';
  if (layout === 'v8') {
    node.push(op('Squeeze', ['stacked', 'channel_axis'], head));
  } else {
    node.push(op('Squeeze', ['stacked', 'channel_axis'], 'by_row'));
    node.push(op('Transpose', ['by_row'], head, [{ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [0, 2, 1] }]));
  }
  if (spec.compute) addComputeLoad(spec.compute, size, head, 'output0', initializer, node);
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
            { key: 'description', value: `vigil test model, ${layout} layout${spec.compute ? `, ${spec.compute.layers} conv layers of load` : ''}` },
            { key: 'task', value: 'detect' },
            { key: 'stride', value: '32' },
            { key: 'batch', value: String(spec.batch === 'dynamic' ? 1 : spec.batch) },
            { key: 'imgsz', value: `[${size}, ${size}]` },
            { key: 'names', value: pythonDict(spec.classNames) },
          ],
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** Floating-point operations of one image through `spec.compute`'s convolutions (2 per multiply-add); 0 without. */
export function computeLoadFlops(spec: Pick<YoloTestModelSpec, 'size' | 'compute'>): number {
  return convLayers(spec.compute, spec.size).reduce((sum, layer) => sum + 2 * layer.out * layer.in * 9 * layer.outSize * layer.outSize, 0);
}

interface ConvLayer {
  in: number;
  out: number;
  stride: number;
  outSize: number;
}

function convLayers(load: ComputeLoad | undefined, size: number): ConvLayer[] {
  if (!load) return [];
  if (!Number.isInteger(load.layers) || load.layers < 1 || !Number.isInteger(load.channels) || load.channels < 4 || load.channels % 4 !== 0) {
    throw new Error(`test model: compute needs at least one layer and channels a multiple of 4, got ${load.layers} and ${load.channels}`);
  }
  const layers: ConvLayer[] = [];
  let channels = 3;
  for (let i = 0; i < load.layers; i++) {
    const stride = i < 3 ? 2 : 1;
    const out = i < 3 ? load.channels >> (2 - i) : load.channels;
    // kernel 3, padding 1
    size = stride === 2 ? Math.floor((size - 1) / 2) + 1 : size;
    layers.push({ in: channels, out, stride, outSize: size });
    channels = out;
  }
  return layers;
}

/** `output` = `head` + 0 × mean(conv chain over the images): the chain must run, and changes nothing. */
function addComputeLoad(load: ComputeLoad, size: number, head: string, output: string, initializer: onnx.ITensorProto[], node: onnx.INodeProto[]): void {
  const random = mulberry32(0x5eed);
  let x = 'images';
  convLayers(load, size).forEach((layer, i) => {
    const fanIn = layer.in * 9;
    // He-uniform: activations keep their scale through the Relus, so nothing overflows to inf (inf × 0 is NaN)
    const bound = Math.sqrt(6 / fanIn);
    const weights = new Float32Array(layer.out * fanIn);
    for (let k = 0; k < weights.length; k++) weights[k] = (random() * 2 - 1) * bound;
    initializer.push({ name: `load_w${i}`, dataType: FLOAT, dims: [layer.out, layer.in, 3, 3], rawData: new Uint8Array(weights.buffer) });
    const ints = (name: string, values: number[]): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
    node.push(op('Conv', [x, `load_w${i}`], `load_conv${i}`, [ints('kernel_shape', [3, 3]), ints('strides', [layer.stride, layer.stride]), ints('pads', [1, 1, 1, 1])]));
    node.push(op('Relu', [`load_conv${i}`], `load_relu${i}`));
    x = `load_relu${i}`;
  });
  initializer.push(int64('load_last_axis', [3]), { name: 'load_zero', dataType: FLOAT, dims: [], floatData: [0] });
  node.push(
    op('ReduceMean', [x], 'load_mean', [{ name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 2, 3] }]),
    // [B, 1, 1, 1] -> [B, 1, 1]: broadcasts over either head layout
    op('Squeeze', ['load_mean', 'load_last_axis'], 'load_per_image'),
    op('Mul', ['load_per_image', 'load_zero'], 'load_nothing'),
    op('Add', [head, 'load_nothing'], output),
  );
}


/** Sets the marker pixels of one anchor of image `image` in an NCHW input made for `spec`. */
export function writeAnchor(input: Float32Array, spec: YoloTestModelSpec, image: number, anchor: number, marker: AnchorMarker): void {
  const { size } = spec;
  const plane = size * size;
  const classes = spec.headClasses ?? spec.classNames.length;
  const band = Math.floor(anchor / size);
  const column = anchor % size;
  // rows of band b follow those of band b - 1: `perBand` rows each
  const at = (channel: number, perBand: number, row: number): number => (image * 3 + channel) * plane + (band * perBand + row) * size + column;
  const [x1, y1, x2, y2] = marker.box;
  [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1].forEach((value, row) => (input[at(1, 4, row)] = value / size));
  for (let c = 0; c < classes; c++) input[at(0, classes, c)] = marker.scores[c] ?? 0;
  input[at(2, 1, 0)] = marker.objectness ?? 0;
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
  v8FixedBatch4: { layout: 'v8', classNames: TEST_CLASSES, anchors: 16, size: 64, batch: 4 },
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
