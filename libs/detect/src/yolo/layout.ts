/**
 * One dimension of a tensor as a model declares it: a size, or a string for a dynamic one (its symbolic name,
 * e.g. `batch`, or '' when unnamed).
 */
export type Dim = number | string;

/**
 * How a YOLO detection head lays out its output:
 * - `v8` (YOLOv8/11 and later Ultralytics exports): `[batch, 4 + C, N]`, rows cx, cy, w, h, then one score per class;
 * - `v5` (YOLOv5 exports): `[batch, N, 5 + C]`, per anchor cx, cy, w, h, objectness, then one score per class.
 */
export interface YoloLayout {
  kind: 'v8' | 'v5';
  /** number of classes (C) */
  classes: number;
  /** number of candidate boxes (N); null while the model leaves it dynamic (known once it runs) */
  anchors: number | null;
}

/**
 * Tells the layout from the output's dims (as declared, or as returned by a run) and, when known, the number of
 * class names. Throws an Error that says what was found and what was expected: the service refuses to start on it.
 */
export function detectLayout(dims: readonly Dim[], classCount?: number): YoloLayout {
  if (classCount !== undefined && (!Number.isInteger(classCount) || classCount < 1)) {
    throw new Error(`detectLayout: the number of class names must be a positive integer, got ${classCount}`);
  }
  const mismatch = (why: string): Error => {
    const expected =
      classCount === undefined
        ? 'YOLOv8/11 [batch, 4+C, anchors] or YOLOv5 [batch, anchors, 5+C]'
        : `YOLOv8/11 [batch, ${4 + classCount}, anchors] or YOLOv5 [batch, anchors, ${5 + classCount}] for ${classCount} class names`;
    return new Error(`model output ${formatDims(dims)} is not a YOLO detection output (${why}); expected ${expected}`);
  };
  if (dims.length !== 3) throw mismatch(`rank ${dims.length}, not 3`);
  const [, rows, cols] = dims;
  const fixed = (dim: Dim): number | null => (typeof dim === 'number' ? dim : null);
  const a = fixed(rows);
  const b = fixed(cols);

  if (classCount !== undefined) {
    const v8 = a === 4 + classCount;
    const v5 = b === 5 + classCount;
    // both can hold only for [batch, 4+C, 5+C] (a tiny head: real ones have thousands of anchors); v8 then is the
    // reading with more anchors than values per anchor
    if (v8) return { kind: 'v8', classes: classCount, anchors: b };
    if (v5) return { kind: 'v5', classes: classCount, anchors: a };
    if (a !== null && b !== null && a > 4 && b > 5) {
      const seen = a < b ? `${plural(a - 4, 'class')} as YOLOv8/11` : `${plural(b - 5, 'class')} as YOLOv5`;
      throw mismatch(`it has ${seen}, the names list ${classCount}`);
    }
    throw mismatch('its sizes fit neither layout');
  }

  if (a === null || b === null) throw mismatch('a dynamic size leaves the layout open; give the class names to decide');
  if (a < b && a > 4) return { kind: 'v8', classes: a - 4, anchors: b };
  if (b < a && b > 5) return { kind: 'v5', classes: b - 5, anchors: a };
  throw mismatch('its sizes fit neither layout');
}

export function formatDims(dims: readonly Dim[]): string {
  return `[${dims.map((dim) => (typeof dim === 'number' ? String(dim) : dim || '?')).join(', ')}]`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : noun.endsWith('s') ? 'es' : 's'}`;
}
