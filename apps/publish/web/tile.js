// One camera tile: its DOM, frame decoding and drawing, the detection overlay, the state it
// shows, and its figures.

import {
  CameraStats,
  DASH,
  formatBitrate,
  formatFps,
  formatLatency,
  formatRatio,
  formatThroughput,
} from './stats.js';
import { DetectionOverlay, DETECTIONS_STALE_MS, parseDetections } from './detections.js';

/** No frame for this long and the tile goes black with "offline". */
export const FRAME_TIMEOUT_MS = 3000;
/** States in which the server still expects frames. */
const RUNNING_STATES = new Set(['live', 'connecting']);
/** Streams a tile can show: the camera's own frames, or the server's with boxes burnt in. */
export const STREAMS = ['raw', 'annotated'];
/** Inference time shown is the mean over this window. */
const INFERENCE_WINDOW_MS = 1000;
const HW_DECODER = /^nv|nvdec|nvv4l2|cuda|vaapi|va[a-z0-9]*dec$|qsv|msdk|d3d11|v4l2|omx|vtdec/i;

const template = document.getElementById('tile-template');
const TOGGLE_TITLE = "boxes: the raw stream with boxes drawn by this page · annotated: the server's stream with boxes burnt in";
const NO_DETECTION = 'no annotated stream: this camera has no detection, so nothing draws boxes on it';

export class CameraTile {
  /**
   * @param {object} camera  one entry of GET /api/cameras
   * @param {{ connected: () => boolean, streamChanged: (tile: CameraTile) => void }} env
   */
  constructor(camera, env) {
    this.id = camera.id;
    this.env = env;
    this.camera = camera;
    this.stats = new CameraStats();

    this.el = template.content.firstElementChild.cloneNode(true);
    this.el.dataset.camera = this.id;
    const q = (selector) => this.el.querySelector(selector);
    this.nameEl = q('.tile-name');
    this.idEl = q('.tile-id');
    this.badgeEl = q('.badge');
    this.badgeText = q('.badge-text');
    this.alarmBadge = q('.alarm-badge');
    this.canvas = q('canvas.frame');
    this.ctx = this.canvas.getContext('2d', { alpha: false });
    this.coverLabel = q('.cover-label');
    this.coverDetail = q('.cover-detail');
    this.overlayEl = q('canvas.overlay');
    this.overlay = new DetectionOverlay(this.overlayEl, this.canvas, () => this.renderOverlay(performance.now()));
    this.toggleEl = q('[data-action="toggle-stream"]');
    this.toggleEl.addEventListener('click', () => this.setStream(this.stream === 'raw' ? 'annotated' : 'raw'));
    this.chipEl = q('.det-chip');
    this.chipCount = q('.det-count');
    this.chipMs = q('.det-ms');
    this.statEls = {};
    for (const el of this.el.querySelectorAll('[data-stat]')) this.statEls[el.dataset.stat] = el;
    this.decoderEl = q('[data-meta="decoder"] .meta-value');
    this.hwEl = q('[data-meta="decoder"] .hw');
    this.resolutionEl = q('[data-meta="resolution"] .meta-value');
    this.framesEl = q('[data-meta="frames"] .meta-value');
    this.reconnectsItem = q('[data-meta="reconnects"]');
    this.reconnectsEl = q('[data-meta="reconnects"] .meta-value');

    this.watchStart = performance.now();
    this.lastArrival = null; // performance.now() of the newest frame received
    this.lastArrivalWall = null; // Date.now() of the same, for "offline since"
    this.lastDraw = null;
    this.lastTs = null; // capture ts of the newest frame received (server clock)
    this.frameSize = null; // { width, height } of the newest frame
    this.drawnSeq = NaN; // seq and capture ts of the frame on screen
    this.drawnTs = NaN;
    this.framesDrawn = 0;
    this.decoding = false;
    this.pending = null; // newest frame waiting for the decode in flight; older ones are dropped
    this.disposed = false;

    /** detection: the camera's `detect` section when inference runs for it, else null */
    this.detect = null;
    /** why the server refused the annotated stream (its ack's error), until the camera's config changes */
    this.annotatedRefusal = null;
    this.detections = null; // newest detections event: { count, detector, arrival }
    this.inferenceSamples = []; // { t, ms } over the last INFERENCE_WINDOW_MS
    this.boxesDrawn = 0;

    /** the stream shown: raw (with this page's overlay) or annotated; app.js keeps the subscription to it */
    this.stream = 'raw';
    /** streams that may still be subscribed on this connection but are not wanted any more */
    this.extraStreams = new Set();
    /** subscription to `stream`: idle | pending | ok | error */
    this.sub = 'idle';
    this.subError = null;
    this.subErrorAt = 0;
    this.syncing = null; // the connection (app.js epoch) whose subscription loop runs for this tile

    this.view = null; // what the tile shows: live | connecting | offline
    this.rendered = {}; // last text written per slot, to skip no-op DOM writes

    this.clear();
    this.update(camera);
    this.evaluate(performance.now());
    this.renderStats(performance.now());
  }

  /** New config/status from the REST poll. */
  update(camera) {
    this.camera = camera;
    const name = typeof camera.name === 'string' && camera.name.trim() ? camera.name.trim() : null;
    this.setText('name', this.nameEl, name ?? camera.id);
    this.setText('id', this.idEl, name && name !== camera.id ? camera.id : '');
    this.el.setAttribute('aria-label', `Camera ${name ?? camera.id}`);
    this.renderMeta();

    const detect = camera.detect && typeof camera.detect === 'object' && camera.detect.enabled !== false ? camera.detect : null;
    if ((detect == null) !== (this.detect == null)) this.annotatedRefusal = null; // detection switched on or off
    this.detect = detect;
    this.el.dataset.detect = String(detect != null);
    this.renderToggle();
    this.chipEl.hidden = detect == null;
    this.overlay.setZones(detect?.zones ?? []);
    if (!detect) {
      // no inference, so no annotated stream and no boxes
      if (this.stream !== 'raw') this.setStream('raw');
      this.detections = null;
      this.inferenceSamples.length = 0;
      this.overlay.clearDetections();
      delete this.el.dataset.detections;
      delete this.el.dataset.inferenceMs;
    }
    this.renderOverlay(performance.now());
  }

  /** Why this tile cannot show the annotated stream, or null when it can. */
  annotatedUnavailable() {
    if (!this.detect) return NO_DETECTION;
    return this.annotatedRefusal;
  }

  /** The server answered a subscribe to the annotated stream with `ok: false`: back to raw, and say why. */
  refuseAnnotated(reason) {
    this.annotatedRefusal = `no annotated stream: ${reason}`;
    this.setStream('raw');
    this.renderToggle();
  }

  /** The toggle stays in place on every tile; where there is no annotated stream it is disabled and says why. */
  renderToggle() {
    const unavailable = this.annotatedUnavailable();
    this.toggleEl.hidden = false;
    this.toggleEl.disabled = unavailable != null;
    this.toggleEl.dataset.unavailable = String(unavailable != null);
    this.setTitle(this.toggleEl, unavailable ?? TOGGLE_TITLE);
  }

  /** Switches between the raw stream (boxes drawn here) and the annotated one (boxes burnt in). */
  setStream(stream) {
    if (!STREAMS.includes(stream) || stream === this.stream || this.disposed) return;
    if (stream === 'annotated' && this.annotatedUnavailable()) return;
    this.extraStreams.add(this.stream);
    this.extraStreams.delete(stream);
    this.stream = stream;
    this.el.dataset.stream = stream;
    this.toggleEl.setAttribute('aria-pressed', String(stream === 'annotated'));
    this.pending = null; // a frame of the other stream
    this.setSubscription('idle');
    this.renderOverlay(performance.now());
    this.env.streamChanged(this);
  }

  /** A fresh or lost connection: nothing is subscribed any more. */
  resetSubscription() {
    this.extraStreams.clear();
    this.setSubscription('idle');
  }

  // ---- frames

  onFrame(event) {
    if (this.disposed) return;
    const now = performance.now();
    const data = toBinary(event.data);
    if (!data) return;
    const width = Number(event.width) || 0;
    const height = Number(event.height) || 0;
    const ts = Number(event.ts);
    this.stats.received(now, data.byteLength, width, height, Number.isFinite(ts) ? Date.now() - ts : NaN);
    this.lastArrival = now;
    this.lastArrivalWall = Date.now();
    if (Number.isFinite(ts)) this.lastTs = ts;
    if (width && height && (this.frameSize?.width !== width || this.frameSize?.height !== height)) {
      this.frameSize = { width, height };
      this.renderMeta();
    }

    const seq = Number(event.seq);
    const frame = { data, width, height, seq, ts };
    if (this.decoding || document.hidden) {
      if (this.pending) this.stats.dropped++;
      this.pending = frame; // keep only the newest
      return;
    }
    this.decode(frame);
  }

  async decode(frame) {
    this.decoding = true;
    try {
      const bitmap = await createImageBitmap(new Blob([frame.data], { type: 'image/jpeg' }));
      try {
        if (!this.disposed) this.draw(bitmap, frame);
      } finally {
        bitmap.close();
      }
    } catch (error) {
      this.stats.decodeErrors++;
      this.lastDecodeError = error instanceof Error ? error.message : String(error);
    } finally {
      this.decoding = false;
    }
    if (this.disposed) return;
    const next = this.pending;
    if (next && !document.hidden) {
      this.pending = null;
      this.decode(next);
    }
  }

  /** Called when the page becomes visible again: draw the newest frame held back while hidden. */
  resume() {
    if (!this.decoding && this.pending && !this.disposed) {
      const next = this.pending;
      this.pending = null;
      this.decode(next);
    }
  }

  draw(bitmap, frame) {
    const { width, height } = bitmap;
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.ctx.drawImage(bitmap, 0, 0);
    this.drawnSeq = frame.seq;
    this.drawnTs = frame.ts;
    const now = performance.now();
    this.lastDraw = now;
    this.framesDrawn++;
    this.el.dataset.frames = String(this.framesDrawn);
    this.stats.drawn(now, width, height);
    if (this.view !== 'live') this.evaluate(now);
    else this.renderOverlay(now);
  }

  // ---- detections

  /** A `detections` event of this camera (sent whichever of its streams is watched). */
  onDetections(event) {
    if (this.disposed || !this.detect) return;
    const now = performance.now();
    const detections = parseDetections(event.detections);
    const inferenceMs = Number(event.inferenceMs);
    this.detections = {
      count: detections.length,
      detector: typeof event.detector === 'string' ? event.detector : '',
      arrival: now,
    };
    if (Number.isFinite(inferenceMs) && inferenceMs >= 0) this.inferenceSamples.push({ t: now, ms: inferenceMs });
    this.overlay.setDetections(event, detections, now);
    this.renderOverlay(now);
    this.renderDetections(now, false);
  }

  /** Draws the overlay as it should look now: boxes fade out as the newest result ages. */
  renderOverlay(now) {
    if (this.disposed) return;
    const visible = this.detect != null && this.stream === 'raw' && this.view === 'live';
    const boxes = this.overlay.render(now, { visible, frameSeq: this.drawnSeq, frameTs: this.drawnTs });
    if (boxes !== this.boxesDrawn || this.overlayEl.dataset.boxes === undefined) {
      this.boxesDrawn = boxes;
      this.overlayEl.dataset.boxes = String(boxes);
    }
  }

  /** The chip over the picture: objects in the newest result, and inference time per frame. */
  renderDetections(now, withTiming) {
    if (!this.detect) return;
    const d = this.detections;
    const fresh = d != null && now - d.arrival < DETECTIONS_STALE_MS * 2;
    const count = fresh ? String(d.count) : DASH;
    this.setText('det-count', this.chipCount, count);
    const attr = fresh ? count : '';
    if (this.el.dataset.detections !== attr) this.el.dataset.detections = attr;
    if (this.rendered.chipFresh !== fresh) {
      this.rendered.chipFresh = fresh;
      this.chipEl.dataset.fresh = String(fresh);
    }
    if (!withTiming) return;
    let drop = 0;
    while (drop < this.inferenceSamples.length && now - this.inferenceSamples[drop].t > INFERENCE_WINDOW_MS) drop++;
    if (drop > 0) this.inferenceSamples.splice(0, drop);
    const samples = this.inferenceSamples;
    const mean = samples.length > 0 ? samples.reduce((sum, s) => sum + s.ms, 0) / samples.length : null;
    const text = mean == null ? DASH : mean < 1 ? mean.toFixed(2) : mean < 10 ? mean.toFixed(1) : mean.toFixed(0);
    this.setText('det-ms', this.chipMs, text);
    this.el.dataset.inferenceMs = mean == null ? '' : String(Math.round(mean * 1000) / 1000);
    const detector = d?.detector ? `${d.detector}: ` : '';
    // the API's inference status says why a camera gets no detections (no model loaded, ...)
    const problem = !fresh && typeof this.camera.inference?.problem === 'string' ? this.camera.inference.problem : '';
    if (this.rendered.chipProblem !== problem) {
      this.rendered.chipProblem = problem;
      this.chipEl.dataset.problem = String(Boolean(problem));
    }
    this.setTitle(
      this.chipEl,
      fresh
        ? `${detector}${d.count} detection${d.count === 1 ? '' : 's'} in the newest result; inference ${text} ms per frame (mean over the last second)`
        : problem
          ? `no detections: ${problem}`
          : 'no detections received in the last 2 s: is inference running for this camera?',
    );
  }

  clear() {
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  // ---- state

  /** Decide what the tile shows. Cheap; called a few times a second and on recovery. */
  evaluate(now) {
    const status = this.camera.status ?? null;
    const connected = this.env.connected();
    // A frame captured after the status last changed is newer news than the status itself
    // (the status is polled every 2 s; frames arrive as they are captured).
    const framesNewerThanStatus = status != null && this.lastTs != null && Number.isFinite(status.since) && this.lastTs > status.since;
    const statusStopped = status != null && !RUNNING_STATES.has(status.state) && !framesNewerThanStatus;
    const recentArrival = this.lastArrival != null && now - this.lastArrival <= FRAME_TIMEOUT_MS;
    // frames that arrive but never decode do not count as live (drawing is skipped while hidden)
    const recentDraw = document.hidden || (this.lastDraw != null && now - this.lastDraw <= FRAME_TIMEOUT_MS);

    let view;
    let detail = '';
    if (statusStopped) {
      view = 'offline';
      detail = status.reason ? `${status.state}: ${status.reason}` : status.state;
    } else if (recentArrival && recentDraw) {
      view = 'live';
    } else if (this.lastArrival == null && now - this.watchStart <= FRAME_TIMEOUT_MS && this.sub !== 'error') {
      view = 'connecting';
      detail = status?.state === 'connecting' ? 'camera is connecting' : 'waiting for the first frame';
    } else {
      view = 'offline';
      if (!connected) detail = 'connection to the server lost, reconnecting';
      else if (this.camera.enabled === false) detail = 'camera disabled';
      else if (this.sub === 'error') detail = `subscribe failed: ${this.subError}`;
      else if (recentArrival) detail = `frames cannot be decoded${this.lastDecodeError ? `: ${this.lastDecodeError}` : ''}`;
      else if (this.lastArrival == null) detail = status?.state === 'connecting' ? 'camera is connecting, no frames yet' : 'no frames received yet';
      else detail = `no ${this.stream === 'annotated' ? 'annotated ' : ''}frames for ${Math.floor((now - this.lastArrival) / 1000)} s`;
    }

    if (view !== this.view) {
      this.view = view;
      this.el.dataset.state = view;
      if (view === 'offline') this.clear();
      this.setText('cover', this.coverLabel, view === 'offline' ? 'offline' : 'connecting');
    }
    let since = '';
    if (view === 'offline') {
      const sinceMs = statusStopped ? status.since : this.lastArrivalWall;
      if (Number.isFinite(sinceMs)) since = `since ${clockTime(sinceMs)}`;
    }
    this.setText('detail', this.coverDetail, [detail, since].filter(Boolean).join(' · '));
    this.setTitle(this.coverDetail, detail);
    this.renderBadge(view, framesNewerThanStatus, detail);
    this.renderOverlay(now);
    this.renderDetections(now, false);
  }

  renderBadge(view, framesNewerThanStatus, detail) {
    const status = this.camera.status ?? null;
    let state = status?.state ?? 'unknown';
    let tip = status?.reason ?? '';
    if (state === 'connecting' && view === 'live' && framesNewerThanStatus) state = 'live';
    if (state === 'live' && view === 'offline') {
      // the server has not noticed yet; the page has
      state = 'offline';
      tip = detail;
    }
    if (this.camera.enabled === false && state === 'unknown') state = 'offline';
    if (!tip) {
      if (state === 'unknown') tip = 'no status reported by ingest yet';
      else if (status?.since) tip = `${state} since ${clockTime(status.since)}`;
    }
    if (this.rendered.badge !== state) {
      this.rendered.badge = state;
      this.badgeEl.dataset.badge = state;
      this.badgeText.textContent = state === 'unknown' ? 'no status' : state;
    }
    this.setTitle(this.badgeEl, tip);
  }

  renderMeta() {
    const camera = this.camera;
    const status = camera.status ?? null;
    const decoder = status?.decoder || (camera.decoder && camera.decoder !== 'auto' ? camera.decoder : null);
    this.setText('decoder', this.decoderEl, decoder ?? DASH);
    const hw = status?.decoder ? (HW_DECODER.test(status.decoder) ? 'GPU' : 'CPU') : '';
    this.hwEl.hidden = !hw;
    this.setText('hw', this.hwEl, hw);
    this.hwEl.dataset.hw = hw.toLowerCase();
    const codec = camera.codec && camera.codec !== 'auto' ? camera.codec.toUpperCase() : null;
    this.setTitle(this.decoderEl.parentElement, [codec && `codec ${codec}`, `decoder setting: ${camera.decoder ?? 'auto'}`].filter(Boolean).join(', '));

    const size = this.frameSize ?? (status?.width && status?.height ? status : null) ?? (camera.width && camera.height ? camera : null);
    this.setText('resolution', this.resolutionEl, size ? `${size.width}×${size.height}` : DASH);

    const reconnects = Number(status?.reconnects) || 0;
    this.reconnectsItem.hidden = reconnects === 0;
    this.setText('reconnects', this.reconnectsEl, String(reconnects));
  }

  /** Once a second. */
  renderStats(now) {
    const s = this.stats.snapshot(now);
    this.lastSnapshot = s;
    const live = this.view === 'live';
    // a black tile shows zeros and dashes even while the last samples age out
    this.writeStat('fps', formatFps(live ? s.fps : 0));
    this.writeStat('bitrate', formatBitrate(live ? s.bitrate : 0));
    this.writeStat('ratio', formatRatio(live ? s.ratio : null));
    this.writeStat('latency', formatLatency(live ? s.latency : null));
    this.writeStat('throughput', formatThroughput(live ? s.throughput : 0));
    this.setTitle(
      this.statEls.fps.parentElement,
      `frames drawn per second; received ${s.receivedFps.toFixed(1)}/s` + (s.dropped ? `, ${s.dropped} skipped to stay current` : ''),
    );
    this.setTitle(this.statEls.latency.parentElement, 'capture time to arrival in this browser, median over the last second (needs synchronised clocks)');
    this.setTitle(this.statEls.ratio.parentElement, 'raw RGB size (width × height × 3) over JPEG size');
    this.setTitle(this.statEls.throughput.parentElement, 'decoded megapixels drawn per second');
    this.setText('frames', this.framesEl, this.framesDrawn.toLocaleString('en-US'));
    this.renderDetections(now, true);
    return live ? s : null;
  }

  writeStat(key, { text, unit, value }) {
    const el = this.statEls[key];
    const html = `${text}\u0000${unit}`;
    if (this.rendered[`stat:${key}`] === html) return;
    this.rendered[`stat:${key}`] = html;
    el.textContent = text;
    if (unit) {
      const u = document.createElement('span');
      u.className = 'unit';
      u.textContent = ` ${unit}`;
      el.append(u);
    }
    el.dataset.value = String(value);
  }

  /** The camera's active alarms (from the alarms panel): a red badge while there are any. */
  setAlarms(alarms) {
    if (this.disposed) return;
    const active = alarms.length > 0;
    this.alarmBadge.hidden = !active;
    this.el.dataset.alarm = String(active);
    const rules = [...new Set(alarms.map((alarm) => alarm.rule))].join(', ');
    this.setTitle(this.alarmBadge, active ? `active alarm${alarms.length === 1 ? '' : 's'}: ${rules}` : '');
  }

  // ---- subscription bookkeeping (driven by app.js)

  setSubscription(state, error = null) {
    this.sub = state;
    this.subError = error;
    if (state === 'error') this.subErrorAt = performance.now();
    this.el.dataset.subscription = state;
  }

  dispose() {
    this.disposed = true;
    this.pending = null;
    this.overlay.dispose();
    this.el.remove();
  }

  // ---- helpers

  setText(slot, el, text) {
    if (this.rendered[slot] === text) return;
    this.rendered[slot] = text;
    el.textContent = text;
  }

  setTitle(el, text) {
    if (el.title !== text) el.title = text;
  }
}

/** The frame payload as something a Blob accepts: ArrayBuffer (normal), a typed array, or base64. */
function toBinary(data) {
  if (data instanceof ArrayBuffer) return data;
  if (ArrayBuffer.isView(data)) return data;
  if (typeof data === 'string') {
    const bin = atob(data);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  return null;
}

function clockTime(epochMs) {
  return new Date(epochMs).toLocaleTimeString('en-GB', { hour12: false });
}
