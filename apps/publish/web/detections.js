// Detection overlay: the boxes of a camera's latest `detections` event and the camera's zones,
// drawn on a canvas laid over the frame canvas. Boxes are normalised (0..1), so they are drawn
// at the size the frame is shown, with crisp lines and text at any tile size.

/** Full opacity while the newest result is this young (arrival in this browser)... */
export const DETECTIONS_FRESH_MS = 500;
/** ...then fading out, and gone at this age: boxes never linger over a scene that moved on. */
export const DETECTIONS_STALE_MS = 1000;
/** Gone, too, when they are about a frame this much older (capture time) than the frame shown... */
export const DETECTIONS_MAX_LAG_MS = 1000;
/** ...or, without capture times, this many frames behind it. */
export const DETECTIONS_MAX_SEQ_LAG = 30;

/** Ultralytics' palette, as the server's annotated stream uses: a class has one colour in both views. */
const PALETTE = [
  'FF3838', 'FF9D97', 'FF701F', 'FFB21D', 'CFD231', '48F90A', '92CC17', '3DDB86', '1A9334', '00D4BB',
  '2C99A8', '00C2FF', '344593', '6473FF', '0018EC', '8438FF', '520085', 'CB38FF', 'FF95C8', 'FF37C7',
];
const colourCache = new Map();

/** The colour of a class from a hash of its name (FNV-1a, as the server): stable across models and restarts. */
export function classColour(label) {
  let colour = colourCache.get(label);
  if (colour) return colour;
  let hash = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    hash ^= label.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  const hex = PALETTE[(hash >>> 0) % PALETTE.length];
  const r = parseInt(hex.slice(0, 2), 16);
  const g = parseInt(hex.slice(2, 4), 16);
  const b = parseInt(hex.slice(4, 6), 16);
  // black text on light tabs, white on dark ones (perceived luminance, as the server)
  colour = { stroke: `#${hex}`, text: 0.299 * r + 0.587 * g + 0.114 * b > 150 ? '#000' : '#fff' };
  colourCache.set(label, colour);
  return colour;
}

/** A `detections` event's list, keeping only well-formed entries (boxes clamped to the frame). */
export function parseDetections(list) {
  if (!Array.isArray(list)) return [];
  const out = [];
  for (const d of list) {
    if (!d || !Array.isArray(d.box) || d.box.length !== 4) continue;
    const [x1, y1, x2, y2] = d.box.map((v) => clamp01(Number(v)));
    if (!(x2 > x1 && y2 > y1)) continue;
    const score = Number(d.score);
    out.push({
      label: typeof d.label === 'string' && d.label ? d.label : `class ${Number(d.classId) || 0}`,
      score: Number.isFinite(score) ? score : null,
      box: [x1, y1, x2, y2],
    });
  }
  return out;
}

/** Zones of a camera's `detect` section, keeping polygons of at least three points. */
export function parseZones(zones) {
  if (!Array.isArray(zones)) return [];
  const out = [];
  for (const zone of zones) {
    if (!zone || !Array.isArray(zone.polygon)) continue;
    const points = zone.polygon
      .filter((p) => Array.isArray(p) && p.length >= 2 && Number.isFinite(Number(p[0])) && Number.isFinite(Number(p[1])))
      .map((p) => [clamp01(Number(p[0])), clamp01(Number(p[1]))]);
    if (points.length >= 3) out.push({ id: typeof zone.id === 'string' ? zone.id : '', points });
  }
  return out;
}

export class DetectionOverlay {
  /**
   * @param {HTMLCanvasElement} canvas  the overlay, laid exactly over the frame canvas
   * @param {HTMLCanvasElement} frame   the frame canvas (its intrinsic size is the frame's)
   * @param {() => void} onResize      called when the overlay changed size and must be drawn again
   */
  constructor(canvas, frame, onResize) {
    this.canvas = canvas;
    this.frame = frame;
    this.ctx = canvas.getContext('2d');
    this.zones = [];
    this.latest = null; // { seq, ts, detections, arrival }
    this.cssWidth = 0;
    this.cssHeight = 0;
    this.dpr = 1;
    this.drawnKey = null; // what is on the canvas now, to skip redrawing the same picture
    this.observer = new ResizeObserver((entries) => {
      const box = entries[entries.length - 1].contentRect;
      this.cssWidth = box.width;
      this.cssHeight = box.height;
      this.drawnKey = null;
      onResize();
    });
    this.observer.observe(canvas);
  }

  setZones(zones) {
    const parsed = parseZones(zones);
    if (JSON.stringify(parsed) !== JSON.stringify(this.zones)) {
      this.zones = parsed;
      this.drawnKey = null;
    }
  }

  /** The newest event of the camera; `arrival` is performance.now() when it came. */
  setDetections(event, detections, arrival) {
    this.latest = { seq: Number(event.seq), ts: Number(event.ts), detections, arrival };
    this.drawnKey = null;
  }

  clearDetections() {
    this.latest = null;
    this.drawnKey = null;
  }

  /** How strongly the newest boxes show now (0 = not at all), given the frame on screen. */
  opacity(now, frameSeq, frameTs) {
    const latest = this.latest;
    if (!latest || latest.detections.length === 0) return 0;
    if (Number.isFinite(frameTs) && Number.isFinite(latest.ts)) {
      if (frameTs - latest.ts > DETECTIONS_MAX_LAG_MS) return 0;
    } else if (Number.isFinite(frameSeq) && Number.isFinite(latest.seq) && frameSeq - latest.seq > DETECTIONS_MAX_SEQ_LAG) {
      return 0;
    }
    const age = now - latest.arrival;
    if (age <= DETECTIONS_FRESH_MS) return 1;
    if (age >= DETECTIONS_STALE_MS) return 0;
    return 1 - (age - DETECTIONS_FRESH_MS) / (DETECTIONS_STALE_MS - DETECTIONS_FRESH_MS);
  }

  /**
   * Draws zones and boxes (nothing when not `visible`); returns the number of boxes drawn.
   * @param {number} now  performance.now()
   * @param {{ visible: boolean, frameSeq?: number, frameTs?: number }} state
   */
  render(now, { visible, frameSeq, frameTs }) {
    const alpha = visible ? this.opacity(now, frameSeq, frameTs) : 0;
    // fading values are quantised so a fade redraws a handful of times, not once per call
    const level = Math.round(alpha * 20);
    const boxes = level > 0 ? this.latest.detections : [];
    const zones = visible ? this.zones : [];
    const fw = this.frame.width;
    const fh = this.frame.height;
    const key = `${visible}|${level}|${fw}x${fh}|${this.latest?.arrival}`;
    if (key === this.drawnKey) return boxes.length;
    this.drawnKey = key;

    const dpr = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(this.cssWidth * dpr));
    const height = Math.max(1, Math.round(this.cssHeight * dpr));
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    const ctx = this.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, width, height);
    if ((zones.length === 0 && boxes.length === 0) || !this.cssWidth || !this.cssHeight || !fw || !fh) return boxes.length;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);

    // where the frame canvas shows the picture (object-fit: contain)
    const rect = containRect(this.cssWidth, this.cssHeight, fw / fh);
    ctx.save();
    ctx.beginPath();
    ctx.rect(rect.x, rect.y, rect.w, rect.h);
    ctx.clip();
    const scale = Math.min(1.25, Math.max(0.8, rect.w / 640)); // text and lines grow a little with the tile
    for (const zone of zones) drawZone(ctx, rect, zone, scale);
    if (boxes.length > 0) {
      ctx.globalAlpha = level / 20;
      drawBoxes(ctx, rect, boxes, scale);
    }
    ctx.restore();
    return boxes.length;
  }

  dispose() {
    this.observer.disconnect();
  }
}

function drawZone(ctx, rect, zone, scale) {
  ctx.beginPath();
  zone.points.forEach(([x, y], i) => {
    const px = rect.x + x * rect.w;
    const py = rect.y + y * rect.h;
    if (i === 0) ctx.moveTo(px, py);
    else ctx.lineTo(px, py);
  });
  ctx.closePath();
  ctx.fillStyle = 'rgb(46 196 166 / 0.10)';
  ctx.fill();
  ctx.setLineDash([6 * scale, 4 * scale]);
  ctx.lineWidth = 1.5 * scale;
  ctx.strokeStyle = 'rgb(46 196 166 / 0.75)';
  ctx.stroke();
  ctx.setLineDash([]);
  if (!zone.id) return;
  // the name just inside the zone's top-left corner
  let [tx, ty] = zone.points[0];
  for (const [x, y] of zone.points) if (y + x < ty + tx) [tx, ty] = [x, y];
  ctx.font = `600 ${Math.round(10.5 * scale)}px ${SANS}`;
  ctx.textBaseline = 'top';
  ctx.fillStyle = 'rgb(46 196 166 / 0.9)';
  ctx.fillText(zone.id, Math.min(rect.x + tx * rect.w + 5 * scale, rect.x + rect.w - ctx.measureText(zone.id).width - 4), rect.y + ty * rect.h + 4 * scale);
}

function drawBoxes(ctx, rect, boxes, scale) {
  const lineWidth = 2 * scale;
  const fontSize = Math.round(11 * scale);
  const tabHeight = fontSize + 5;
  const placed = boxes.map((d) => {
    const [x1, y1, x2, y2] = d.box;
    return {
      d,
      colour: classColour(d.label),
      x: rect.x + x1 * rect.w,
      y: rect.y + y1 * rect.h,
      w: (x2 - x1) * rect.w,
      h: (y2 - y1) * rect.h,
    };
  });
  // all outlines first, then all labels, so no line crosses a label
  ctx.lineWidth = lineWidth;
  ctx.lineJoin = 'miter';
  for (const b of placed) {
    ctx.strokeStyle = b.colour.stroke;
    ctx.strokeRect(b.x, b.y, b.w, b.h);
  }
  ctx.font = `600 ${fontSize}px ${MONO}`;
  ctx.textBaseline = 'middle';
  for (const b of placed) {
    const text = b.d.score == null ? b.d.label : `${b.d.label} ${b.d.score.toFixed(2)}`;
    const tabWidth = Math.ceil(ctx.measureText(text).width) + 8;
    // above the box when there is room, else just inside its top edge; never past the right edge
    const outside = b.y - rect.y >= tabHeight;
    const top = outside ? b.y - tabHeight : b.y;
    const left = Math.max(rect.x, Math.min(b.x - lineWidth / 2, rect.x + rect.w - tabWidth));
    ctx.fillStyle = b.colour.stroke;
    ctx.fillRect(left, top, tabWidth, tabHeight);
    ctx.fillStyle = b.colour.text;
    ctx.fillText(text, left + 4, top + tabHeight / 2 + 0.5);
  }
}

/** The rectangle a picture of aspect `aspect` fills inside a `width` x `height` box (object-fit: contain). */
function containRect(width, height, aspect) {
  if (width / height > aspect) {
    const w = height * aspect;
    return { x: (width - w) / 2, y: 0, w, h: height };
  }
  const h = width / aspect;
  return { x: 0, y: (height - h) / 2, w: width, h };
}

function clamp01(v) {
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
}

const SANS = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif';
const MONO = 'ui-monospace, "SF Mono", "JetBrains Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace';
