import type { Detection } from '@vigil/contracts';
import { Candidates, decode, nms, type ClassThreshold } from './decode';
import { formatDims, type YoloLayout } from './layout';
import { toFrameBox, type LetterboxGeometry } from './letterbox';

export interface YoloDetectorOptions {
  /** class names by id (labels file or the model's metadata); their count must match the layout's */
  classNames: readonly string[];
  /** minimum score per class, for frames that bring none */
  minConfidence: ClassThreshold;
  /** IoU above which a box is suppressed by a better one of its class, for frames that bring none */
  iou: number;
  /** most boxes kept per image (Ultralytics' max_det) */
  maxDetections?: number;
}

/** One image of a batch: where it sits in the input, and its camera's own params where they override the model's. */
export interface BatchFrame {
  width: number;
  height: number;
  geometry: LetterboxGeometry;
  minConfidence?: ClassThreshold;
  iou?: number;
}

/** Turns a YOLO head's output for a batch into detections per image, in normalised frame coordinates. */
export class YoloDetector {
  private readonly candidates = new Candidates();

  constructor(
    readonly layout: YoloLayout,
    private readonly options: YoloDetectorOptions,
  ) {
    if (options.classNames.length !== layout.classes) {
      throw new Error(`the model outputs ${layout.classes} classes, the class names list ${options.classNames.length}`);
    }
  }

  /**
   * `output` is the batch's output (`dims` as the run returned them); `frames[i]` describes image i. A batch padded
   * to a model's fixed size holds more images than frames: those past the frames are not read.
   */
  detect(output: { data: Float32Array; dims: readonly number[] }, frames: readonly BatchFrame[]): Detection[][] {
    const anchors = this.anchorsIn(output.dims, frames.length);
    const perImage = output.data.length / output.dims[0]!;
    const { classNames, maxDetections } = this.options;
    return frames.map((frame, image) => {
      const slice = output.data.subarray(image * perImage, (image + 1) * perImage);
      const candidates = decode(slice, { ...this.layout, anchors }, frame.minConfidence ?? this.options.minConfidence, this.candidates);
      const detections: Detection[] = [];
      for (const i of nms(candidates, frame.iou ?? this.options.iou, maxDetections)) {
        const box = toFrameBox(candidates.boxes, frame.geometry, frame.width, frame.height, i * 4);
        // a box that lay wholly in the letterbox padding has no area left in the frame
        if (box[2] <= box[0] || box[3] <= box[1]) continue;
        const classId = candidates.classes[i];
        detections.push({ label: classNames[classId], classId, score: candidates.scores[i], box });
      }
      return detections;
    });
  }

  /** Checks a run's dims against the layout (the declared ones may have been dynamic) and returns N. */
  private anchorsIn(dims: readonly number[], images: number): number {
    const { kind, classes } = this.layout;
    const values = kind === 'v8' ? 4 + classes : 5 + classes;
    const batch = Math.max(images, dims[0] ?? 0);
    const fits = dims.length === 3 && dims[0] === batch && (kind === 'v8' ? dims[1] === values : dims[2] === values);
    const anchors = kind === 'v8' ? dims[2] : dims[1];
    if (!fits || (this.layout.anchors !== null && anchors !== this.layout.anchors)) {
      const expected = kind === 'v8' ? `[${batch}, ${values}, ${this.layout.anchors ?? 'anchors'}]` : `[${batch}, ${this.layout.anchors ?? 'anchors'}, ${values}]`;
      throw new Error(`model output ${formatDims(dims)} does not fit the ${kind} layout found at start, expected ${expected}`);
    }
    return anchors;
  }
}
