/**
 * The annotated stream's frames: detection boxes and "class score" labels drawn on a copy of the frame, encoded
 * back to JPEG. Sizes follow Ultralytics' plotting (line width from the frame size, label on a filled tab in the
 * box's colour), so a picture looks like what users know from `yolo predict`.
 */
import type { Mat, Vec3 } from '@u4/opencv4nodejs';
import type { Detection } from '@vigil/contracts';
import { DecodedFrame } from './decoded-frame';
import { opencv, releaseMats } from './opencv';

export interface AnnotateOptions {
  /** JPEG quality 1-100 (default 80) */
  quality?: number;
  /** box line width, px (default: from the frame size, 2 px at 640x360, 5 at 1080p) */
  lineWidth?: number;
}

const DEFAULT_QUALITY = 80;

/** Ultralytics' palette (RGB hex): users recognise it, and its neighbours contrast. */
const PALETTE = [
  'FF3838', 'FF9D97', 'FF701F', 'FFB21D', 'CFD231', '48F90A', '92CC17', '3DDB86', '1A9334', '00D4BB',
  '2C99A8', '00C2FF', '344593', '6473FF', '0018EC', '8438FF', '520085', 'CB38FF', 'FF95C8', 'FF37C7',
];

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

/**
 * The colour of a class, from a hash of its name rather than its id: the same class is drawn in the same colour
 * in every model, camera and restart.
 */
export function classColour(label: string): Rgb {
  let hash = 0x811c9dc5; // FNV-1a, 32 bit
  for (let i = 0; i < label.length; i++) {
    hash ^= label.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  const hex = PALETTE[(hash >>> 0) % PALETTE.length]!;
  return { r: parseInt(hex.slice(0, 2), 16), g: parseInt(hex.slice(2, 4), 16), b: parseInt(hex.slice(4, 6), 16) };
}

/**
 * Draws `detections` on a copy of `frame` (8-bit BGR; it is only read, so a shared decoded frame stays clean) and
 * encodes it as JPEG. The copy and the encode run on the thread pool.
 */
export async function annotate(frame: Mat, detections: readonly Detection[], options: AnnotateOptions = {}): Promise<Buffer> {
  const cv = opencv();
  const quality = options.quality ?? DEFAULT_QUALITY;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new RangeError(`annotate: JPEG quality must be 1-100, got ${quality}`);
  if (frame.empty || frame.channels !== 3) throw new Error(`annotate: expected a BGR frame, got ${frame.cols}x${frame.rows} with ${frame.channels} channel(s)`);
  const canvas = await frame.copyAsync();
  try {
    await drawDetections(canvas, detections, options.lineWidth);
    return await cv.imencodeAsync('.jpg', canvas, [cv.IMWRITE_JPEG_QUALITY, quality]);
  } finally {
    releaseMats(canvas);
  }
}

/**
 * The annotated JPEG of a frame. With no detections it is the frame's own JPEG, neither decoded nor encoded (a still
 * scene costs nothing); otherwise the frame is decoded (or its shared decode reused) and annotated.
 */
export async function annotateFrame(frame: DecodedFrame, detections: readonly Detection[], options: AnnotateOptions = {}): Promise<Buffer> {
  if (detections.length === 0) return frame.jpeg;
  return annotate(await frame.bgr(), detections, options);
}

/**
 * Draws on `canvas` in place. The binding's drawRectangle has no async variant, so outlines and label tabs are drawn
 * here, without anti-aliasing (it buys nothing on axis-aligned edges and costs 3x: ~0.05 ms for a large 5 px box at
 * 1080p); the anti-aliased text, ~0.2 ms a label at 1080p, goes to the thread pool, one label after another.
 */
export async function drawDetections(canvas: Mat, detections: readonly Detection[], lineWidth?: number): Promise<void> {
  const cv = opencv();
  const { cols: width, rows: height } = canvas;
  // Ultralytics: lw = max(round(sum(shape) / 2 * 0.003), 2) with shape (h, w, 3), font scale lw / 3
  const lw = lineWidth ?? Math.max(Math.round(((width + height + 3) / 2) * 0.003), 2);
  const fontThickness = Math.max(lw - 1, 1);
  const fontScale = lw / 3;
  const font = cv.FONT_HERSHEY_SIMPLEX;
  const boxes = detections.map((detection) => {
    const [x1, y1, x2, y2] = detection.box;
    const rgb = classColour(detection.label);
    return {
      detection,
      rgb,
      colour: bgr(rgb),
      left: clamp(Math.round(x1 * width), 0, width - 1),
      top: clamp(Math.round(y1 * height), 0, height - 1),
      right: clamp(Math.round(x2 * width), 0, width - 1),
      bottom: clamp(Math.round(y2 * height), 0, height - 1),
    };
  });
  // all outlines first, then all labels, so no line crosses a label
  for (const { left, top, right, bottom, colour } of boxes) {
    canvas.drawRectangle(new cv.Point2(left, top), new cv.Point2(right, bottom), colour, lw, cv.LINE_8);
  }
  for (const { detection, rgb, colour, left, top } of boxes) {
    const text = `${detection.label} ${detection.score.toFixed(2)}`;
    const { size } = cv.getTextSize(text, font, fontScale, fontThickness);
    const tab = labelTab(left, top, size.width, size.height + 3, width, height);
    canvas.drawRectangle(new cv.Point2(tab.left, tab.top), new cv.Point2(tab.left + size.width, tab.bottom), colour, cv.FILLED, cv.LINE_8);
    await canvas.putTextAsync(text, new cv.Point2(tab.left, tab.bottom - 2), font, fontScale, textColour(rgb), fontThickness, cv.LINE_AA);
  }
}

/**
 * Where a box's label tab goes: above the box's top-left corner when there is room, else just inside its top edge,
 * and moved left or up as far as it takes to stay whole inside the frame (a box at the right edge of a small frame
 * would otherwise have its label cut off).
 */
export function labelTab(left: number, top: number, tabWidth: number, tabHeight: number, frameWidth: number, frameHeight: number): { left: number; top: number; bottom: number } {
  const outside = top >= tabHeight;
  const tabTop = clamp(outside ? top - tabHeight : top, 0, Math.max(0, frameHeight - 1 - tabHeight));
  return { left: clamp(left, 0, Math.max(0, frameWidth - 1 - tabWidth)), top: tabTop, bottom: tabTop + tabHeight };
}

function bgr({ r, g, b }: Rgb): Vec3 {
  return new (opencv().Vec3)(b, g, r);
}

/** Black on light tabs, white on dark ones (perceived luminance, ITU-R BT.601). */
function textColour({ r, g, b }: Rgb): Vec3 {
  const luminance = 0.299 * r + 0.587 * g + 0.114 * b;
  return luminance > 150 ? new (opencv().Vec3)(0, 0, 0) : new (opencv().Vec3)(255, 255, 255);
}

function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}
