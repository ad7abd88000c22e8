/** Box arithmetic for the motion detector: pure functions on pixel rectangles. */

/** A rectangle in pixels: left, top, and its size (right = x + width). */
export interface PixelBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Merges boxes that overlap or lie within `gap` pixels of each other, until no two do, so one moving object that
 * thresholding split into pieces (a person's legs and torso) comes out as one box.
 */
export function mergeBoxes(boxes: readonly PixelBox[], gap: number): PixelBox[] {
  const merged = boxes.map((box) => ({ ...box }));
  // a grown box may reach boxes it was already compared with: repeat until a pass merges nothing
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i < merged.length; i++) {
      for (let j = i + 1; j < merged.length; j++) {
        if (!near(merged[i]!, merged[j]!, gap)) continue;
        merged[i] = union(merged[i]!, merged[j]!);
        merged.splice(j, 1);
        j = i; // compare the grown box with the rest again
        changed = true;
      }
    }
  }
  return merged;
}

export function boxArea(box: PixelBox): number {
  return box.width * box.height;
}

function near(a: PixelBox, b: PixelBox, gap: number): boolean {
  return a.x - gap <= b.x + b.width && b.x - gap <= a.x + a.width && a.y - gap <= b.y + b.height && b.y - gap <= a.y + a.height;
}

function union(a: PixelBox, b: PixelBox): PixelBox {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
}
