/**
 * Where a source frame lands inside the model's input after an Ultralytics-style letterbox: scaled to fit
 * (aspect ratio kept, up or down), centred, the rest padded (with grey 114; painting it is the caller's job).
 */
export interface LetterboxGeometry {
  /** input pixels per source pixel */
  scale: number;
  /** left and top padding, input pixels */
  padX: number;
  padY: number;
  /** size of the scaled frame inside the input */
  newW: number;
  newH: number;
}

/** The same numbers as Ultralytics' `LetterBox` (and its `scale_boxes` on the way back), so a model sees what it was trained on. */
export function letterboxGeometry(srcW: number, srcH: number, dstW: number, dstH: number): LetterboxGeometry {
  for (const [name, value] of [['source width', srcW], ['source height', srcH], ['input width', dstW], ['input height', dstH]] as const) {
    if (!Number.isFinite(value) || value <= 0) throw new Error(`letterbox: ${name} must be a positive number, got ${value}`);
  }
  const scale = Math.min(dstW / srcW, dstH / srcH);
  // Python's round() (half to even), as in Ultralytics, so a frame size that lands on .5 resizes the same way
  const newW = Math.min(dstW, roundHalfEven(srcW * scale));
  const newH = Math.min(dstH, roundHalfEven(srcH * scale));
  // the -0.1 is Ultralytics': an odd padding puts the extra pixel on the right and bottom
  // (max with 0: Math.round(-0.1) is -0, which prints as 0 but is not 0 to Object.is)
  const padX = Math.max(0, Math.round((dstW - newW) / 2 - 0.1));
  const padY = Math.max(0, Math.round((dstH - newH) / 2 - 0.1));
  return { scale, padX, padY, newW, newH };
}

/**
 * Maps a box in input pixels (`box[offset..offset+3]` = x1, y1, x2, y2) back to the source frame, normalised to 0..1
 * and clamped there (a box may reach into the padding).
 */
export function toFrameBox(
  box: ArrayLike<number>,
  geometry: LetterboxGeometry,
  srcW: number,
  srcH: number,
  offset = 0,
): [number, number, number, number] {
  const { scale, padX, padY } = geometry;
  const sx = scale * srcW;
  const sy = scale * srcH;
  return [
    clamp01((box[offset] - padX) / sx),
    clamp01((box[offset + 1] - padY) / sy),
    clamp01((box[offset + 2] - padX) / sx),
    clamp01((box[offset + 3] - padY) / sy),
  ];
}

function clamp01(value: number): number {
  return value < 0 ? 0 : value > 1 ? 1 : value;
}

function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
