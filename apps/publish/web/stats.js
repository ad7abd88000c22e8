// Per-camera figures over a short sliding window, and how they are written on the page.
// Times are performance.now() milliseconds (monotonic) unless a name says otherwise.

/** Samples older than this leave the window; a stopped stream reads zero after it. */
const RATE_WINDOW_MS = 2000;
/** Latency is the median over the last second of arrivals. */
const LATENCY_WINDOW_MS = 1000;

/**
 * A time-stamped series of values whose rate is taken over the span between samples rather
 * than over a fixed bucket, so 15 fps reads 15.0 instead of flickering between 14 and 16.
 * When the samples stop, the span keeps growing until they age out, so the rate decays to 0.
 */
class RateSeries {
  constructor() {
    this.t = [];
    this.v = [];
    this.sum = 0;
  }

  push(t, value) {
    this.t.push(t);
    this.v.push(value);
    this.sum += value;
  }

  prune(now) {
    let drop = 0;
    while (drop < this.t.length && now - this.t[drop] > RATE_WINDOW_MS) this.sum -= this.v[drop++];
    if (drop > 0) {
      this.t.splice(0, drop);
      this.v.splice(0, drop);
    }
    if (this.t.length === 0) this.sum = 0; // no float drift across quiet periods
  }

  /** { count, value } per second. */
  rate(now) {
    const n = this.t.length;
    if (n === 0) return { count: 0, value: 0 };
    const first = this.t[0];
    if (n === 1) {
      // a lone sample: spread it over the time since it arrived (at least a full window's worth)
      const span = Math.max(now - first, RATE_WINDOW_MS) / 1000;
      return { count: 1 / span, value: this.v[0] / span };
    }
    const interval = (this.t[n - 1] - first) / (n - 1);
    const span = Math.max(this.t[n - 1] - first, now - first - interval) / 1000;
    if (span <= 0) return { count: 0, value: 0 };
    return { count: (n - 1) / span, value: (this.sum - this.v[0]) / span };
  }
}

export class CameraStats {
  constructor() {
    this.jpegBytes = new RateSeries(); // per frame received: JPEG bytes
    this.rawBytes = new RateSeries(); //  per frame received: width * height * 3
    this.drawnPixels = new RateSeries(); // per frame drawn: width * height
    this.latency = []; // { t, ms } per frame received
    this.dropped = 0; // frames replaced while a decode was in flight (since the last snapshot)
    this.decodeErrors = 0;
  }

  received(now, bytes, width, height, latencyMs) {
    this.jpegBytes.push(now, bytes);
    this.rawBytes.push(now, width * height * 3);
    if (Number.isFinite(latencyMs)) this.latency.push({ t: now, ms: latencyMs });
  }

  drawn(now, width, height) {
    this.drawnPixels.push(now, width * height);
  }

  /** Current figures; null where there is nothing to show (the page writes a dash). */
  snapshot(now) {
    this.jpegBytes.prune(now);
    this.rawBytes.prune(now);
    this.drawnPixels.prune(now);
    let drop = 0;
    while (drop < this.latency.length && now - this.latency[drop].t > LATENCY_WINDOW_MS) drop++;
    if (drop > 0) this.latency.splice(0, drop);

    const jpeg = this.jpegBytes.rate(now);
    const drawn = this.drawnPixels.rate(now);
    const jpegSum = this.jpegBytes.sum;
    const rawSum = this.rawBytes.sum;
    const dropped = this.dropped;
    this.dropped = 0;
    return {
      fps: drawn.count,
      receivedFps: jpeg.count,
      bitrate: jpeg.value * 8,
      ratio: jpegSum > 0 && this.jpegBytes.t.length > 0 ? rawSum / jpegSum : null,
      latency: this.latency.length > 0 ? median(this.latency.map((s) => s.ms)) : null,
      throughput: drawn.value,
      dropped,
    };
  }
}

function median(values) {
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

// ---- formatting: each returns { text, unit, value } where value is the raw number ('' for a dash)

export const DASH = '—';

export function formatFps(fps) {
  if (!Number.isFinite(fps)) return { text: DASH, unit: '', value: '' };
  return { text: fps >= 100 ? fps.toFixed(0) : fps.toFixed(1), unit: '', value: round(fps, 2) };
}

export function formatBitrate(bitsPerSecond) {
  if (!Number.isFinite(bitsPerSecond)) return { text: DASH, unit: '', value: '' };
  const value = Math.round(bitsPerSecond);
  if (bitsPerSecond < 1e6) {
    const kbit = bitsPerSecond / 1e3;
    return { text: kbit < 10 && kbit > 0 ? kbit.toFixed(1) : kbit.toFixed(0), unit: 'kbit/s', value };
  }
  const mbit = bitsPerSecond / 1e6;
  return { text: mbit < 10 ? mbit.toFixed(2) : mbit < 100 ? mbit.toFixed(1) : mbit.toFixed(0), unit: 'Mbit/s', value };
}

export function formatRatio(ratio) {
  if (ratio == null || !Number.isFinite(ratio)) return { text: DASH, unit: '', value: '' };
  return { text: `${ratio < 100 ? ratio.toFixed(1) : ratio.toFixed(0)}:1`, unit: '', value: round(ratio, 2) };
}

export function formatLatency(ms) {
  if (ms == null || !Number.isFinite(ms)) return { text: DASH, unit: '', value: '' };
  if (Math.abs(ms) >= 10000) return { text: (ms / 1000).toFixed(1), unit: 's', value: Math.round(ms) };
  return { text: Math.round(ms).toString(), unit: 'ms', value: Math.round(ms) };
}

export function formatThroughput(pixelsPerSecond) {
  if (!Number.isFinite(pixelsPerSecond)) return { text: DASH, unit: '', value: '' };
  const mpx = pixelsPerSecond / 1e6;
  return { text: mpx < 10 ? mpx.toFixed(2) : mpx.toFixed(1), unit: 'Mpx/s', value: Math.round(pixelsPerSecond) };
}

function round(n, digits) {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
