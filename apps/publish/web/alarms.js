// The alarms panel: the newest alarms from GET /api/alarms, kept current by the `alarm` events the
// server sends for every camera this page watches, older ones on request ("load older" with the
// API's cursor). One row per alarm id; a newer copy of an alarm replaces its row.

import { AlarmPlayer } from './alarm-player.js';
import {
  alarmDuration,
  apiError,
  compareAlarms,
  describeClip,
  failureText,
  formatDuration,
  formatScore,
  formatStart,
  isNotOlder,
  parseAlarm,
} from './alarm-format.js';
import { classColour } from './detections.js';

const PAGE_SIZE = 50;
const FETCH_TIMEOUT_MS = 10_000;
/** Rows kept at most; the oldest go first (they can be loaded again). A page left open for weeks stays light. */
const MAX_ROWS = 500;
const HIDDEN_KEY = 'vigil.alarms.hidden';

const rowTemplate = document.getElementById('alarm-row-template');

export class AlarmsPanel {
  /**
   * @param {{ cameraName: (id: string) => string, activeChanged: (camera: string, alarms: object[]) => void, layoutChanged: () => void }} env
   */
  constructor(env) {
    this.env = env;
    const $ = (id) => document.getElementById(id);
    this.el = $('alarms');
    this.list = $('alarm-list');
    this.emptyEl = $('alarms-empty');
    this.errorEl = $('alarms-error');
    this.errorText = this.errorEl.querySelector('.alarms-error-text');
    this.retryEl = this.errorEl.querySelector('[data-action="retry-alarms"]');
    this.moreEl = $('alarms-more');
    this.activeEl = $('alarms-active');
    this.announceEl = $('alarms-announce');
    this.toggleEl = $('alarms-toggle');
    this.toggleCount = this.toggleEl.querySelector('.alarms-toggle-count');
    this.player = new AlarmPlayer($('alarm-player'), { cameraName: (id) => this.env.cameraName(id) });

    /** id -> { alarm, el, rendered } */
    this.rows = new Map();
    /** cursor of the next older page; null once the oldest alarm is listed */
    this.next = null;
    /** rows were dropped for MAX_ROWS: older ones load by start time instead of the cursor */
    this.trimmed = false;
    /** rows kept at most: MAX_ROWS plus what "load older" brought in */
    this.cap = MAX_ROWS;
    this.loaded = false;
    this.refreshing = false;
    this.refreshAgain = false;
    this.loadingMore = false;
    /** what failed last, so Retry does it again: 'refresh' | 'more' */
    this.failed = null;
    /** camera -> ids of its active alarms as last reported, to tell tiles only about changes */
    this.activeByCamera = new Map();

    this.list.addEventListener('click', (event) => {
      const button = event.target.closest('button.alarm-open');
      const row = button && this.rows.get(button.closest('.alarm')?.dataset.alarm);
      if (row) this.player.open(row.alarm, button);
    });
    this.moreEl.addEventListener('click', () => this.loadMore());
    this.retryEl.addEventListener('click', () => (this.failed === 'more' ? this.loadMore() : this.refresh()));
    this.toggleEl.addEventListener('click', () => this.setHidden(!this.el.hidden));
    this.setHidden(readHidden(), false);
  }

  /**
   * Reads the newest page and merges it in. Called at start and whenever the page (re)subscribes a
   * camera: an alarm that began before the subscription took effect sent its events to no one.
   * Calls while one is under way coalesce into one more.
   */
  async refresh() {
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    try {
      do {
        this.refreshAgain = false;
        const page = await this.fetchPage({});
        if (!page) return;
        // a page with nothing in common with the rows, and more behind it, leaves a gap: start over
        const gap = this.loaded && page.next !== null && !page.items.some((alarm) => this.rows.has(alarm.id));
        if (gap) this.clear();
        // later refreshes keep the cursor: it marks how far back the rows go
        if (!this.loaded || gap) this.next = page.next;
        this.loaded = true;
        for (const alarm of page.items) this.upsert(alarm, false);
        this.settle();
      } while (this.refreshAgain);
    } finally {
      this.refreshing = false;
    }
  }

  async loadMore() {
    if (this.loadingMore || !this.loaded) return;
    const oldest = this.oldest();
    const query = this.trimmed ? (oldest ? { until: String(oldest.startedAt) } : null) : this.next ? { cursor: this.next } : null;
    if (!query) return;
    this.loadingMore = true;
    this.renderMore();
    try {
      const page = await this.fetchPage(query, 'more');
      if (!page) return;
      // (by start time, the page repeats the rows that share the oldest start time: they merge)
      this.trimmed = false;
      this.next = page.next;
      // what the viewer asked for stays; only live growth is trimmed
      this.cap += page.items.length;
      for (const alarm of page.items) this.upsert(alarm, false);
      this.settle();
    } finally {
      this.loadingMore = false;
      this.renderMore();
    }
  }

  /** An `alarm` event: { type: 'start' | 'update' | 'end', alarm }. */
  onEvent(event) {
    const alarm = parseAlarm(event?.alarm);
    if (!alarm) {
      console.warn('vigil: ignored a malformed alarm event', event);
      return;
    }
    const isNew = !this.rows.has(alarm.id);
    this.upsert(alarm, true);
    this.settle();
    if (event.type === 'start' && isNew) this.announce(`Alarm: ${alarm.rule} on ${this.env.cameraName(alarm.camera)}`);
  }

  /** Camera names may arrive after the alarms. */
  camerasChanged() {
    for (const row of this.rows.values()) this.render(row);
  }

  /** Active alarms of a camera (for a tile created after they were reported). */
  activeFor(camera) {
    const out = [];
    for (const row of this.rows.values()) if (row.alarm.camera === camera && row.alarm.state === 'active') out.push(row.alarm);
    return out;
  }

  /** Once a second: the age of active alarms. */
  tick() {
    const now = Date.now();
    for (const row of this.rows.values()) if (row.alarm.state === 'active') this.renderDuration(row, now);
  }

  // ---- rows

  upsert(value, live) {
    const alarm = parseAlarm(value);
    if (!alarm) {
      console.warn('vigil: ignored a malformed alarm record', value);
      return;
    }
    let row = this.rows.get(alarm.id);
    if (row) {
      if (!isNotOlder(alarm, row.alarm)) return;
      row.alarm = alarm;
      this.render(row);
      this.player.update(alarm);
      return;
    }
    // an event for an alarm older than every row, while older pages are unread, belongs to a page not loaded yet
    const oldest = this.oldest();
    if (live && oldest && compareAlarms(alarm, oldest) > 0 && (this.next || this.trimmed)) return;
    row = { alarm, el: rowTemplate.content.firstElementChild.cloneNode(true), rendered: {} };
    row.el.dataset.alarm = alarm.id;
    this.rows.set(alarm.id, row);
    this.render(row);
    this.place(row);
  }

  /** Inserts a new row where it belongs, newest first; new alarms nearly always go on top. */
  place(row) {
    let before = this.list.firstElementChild;
    while (before && compareAlarms(this.rows.get(before.dataset.alarm).alarm, row.alarm) < 0) before = before.nextElementSibling;
    this.list.insertBefore(row.el, before);
  }

  oldest() {
    const last = this.list.lastElementChild;
    return last ? this.rows.get(last.dataset.alarm).alarm : null;
  }

  clear() {
    this.rows.clear();
    this.list.replaceChildren();
    this.trimmed = false;
    this.cap = MAX_ROWS;
  }

  /** After a change: bound the rows, tell tiles about active alarms, redraw the panel's chrome. */
  settle() {
    while (this.rows.size > this.cap) {
      const last = this.list.lastElementChild;
      this.rows.delete(last.dataset.alarm);
      last.remove();
      this.trimmed = true;
    }
    this.renderActive();
    this.renderChrome();
  }

  render(row) {
    const { alarm, el } = row;
    const camera = this.env.cameraName(alarm.camera);
    const clip = describeClip(alarm.clip);
    const q = (selector) => el.querySelector(selector);
    set(row, 'state', () => {
      el.dataset.state = alarm.state;
    }, alarm.state);
    set(row, 'clip', () => {
      el.dataset.clip = clip.state;
      const clipEl = q('.alarm-clip');
      clipEl.textContent = clip.text;
      clipEl.title = clip.text;
    }, clip.text);
    set(row, 'camera', () => {
      q('.alarm-camera').textContent = camera;
      q('.alarm-camera').title = camera === alarm.camera ? `camera ${alarm.camera}` : `camera ${camera} (${alarm.camera})`;
    }, camera);
    set(row, 'rule', () => {
      const ruleEl = q('.alarm-rule');
      ruleEl.textContent = alarm.rule;
      ruleEl.title = alarm.kind && alarm.kind !== alarm.rule ? `rule ${alarm.rule} (${alarm.kind})` : `rule ${alarm.rule}`;
    }, `${alarm.rule}|${alarm.kind}`);
    const classes = Array.isArray(alarm.classes) ? alarm.classes.filter((c) => typeof c === 'string') : [];
    set(row, 'classes', () => {
      const chips = classes.map((label) => {
        const chip = document.createElement('span');
        chip.className = 'alarm-class';
        chip.textContent = label;
        chip.style.setProperty('--class-colour', classColour(label).stroke);
        return chip;
      });
      q('.alarm-classes').replaceChildren(...chips);
    }, classes.join('\u0000'));
    set(row, 'score', () => {
      q('.alarm-score').textContent = formatScore(alarm.score);
    }, formatScore(alarm.score));
    const start = formatStart(alarm.startedAt);
    set(row, 'start', () => {
      const time = q('.alarm-time');
      time.textContent = start;
      time.dateTime = new Date(alarm.startedAt).toISOString();
      time.title = new Date(alarm.startedAt).toLocaleString();
    }, start);
    this.renderDuration(row, Date.now());
    this.renderThumb(row, camera);
    const status = alarm.state === 'active' ? 'active' : `lasted ${formatDuration(alarmDuration(alarm))}`;
    const label = `${alarm.rule} on ${camera}, started ${start}, ${status}, ${clip.text}${clip.playable ? ': play' : ''}`;
    set(row, 'label', () => q('button.alarm-open').setAttribute('aria-label', label), label);
  }

  renderDuration(row, now) {
    const text = formatDuration(alarmDuration(row.alarm, now));
    set(row, 'duration', () => {
      row.el.querySelector('.alarm-duration-text').textContent = text;
    }, text);
  }

  renderThumb(row, camera) {
    const { alarm, el } = row;
    const src = alarm.snapshot ? `api/alarms/${encodeURIComponent(alarm.id)}/snapshot` : '';
    set(row, 'thumb', () => {
      const img = el.querySelector('.alarm-thumb img');
      const thumb = el.querySelector('.alarm-thumb');
      const none = el.querySelector('.alarm-thumb-none');
      thumb.removeAttribute('title');
      none.textContent = 'no snapshot';
      if (!src) {
        img.removeAttribute('src');
        thumb.dataset.snapshot = 'none';
        return;
      }
      // the style shows the picture once loaded; a hidden (display: none) lazy image would never load
      thumb.dataset.snapshot = 'loading';
      img.onload = () => {
        thumb.dataset.snapshot = 'loaded';
      };
      // an <img> reports no status or message: the row says so, and the player shows it again with the clip's state
      img.onerror = () => {
        thumb.dataset.snapshot = 'error';
        none.textContent = 'snapshot failed';
        thumb.title = `GET ${src} failed`;
      };
      img.alt = `Snapshot of ${alarm.rule} on ${camera}`;
      img.src = src;
    }, src);
  }

  // ---- panel

  renderActive() {
    const now = new Map();
    for (const row of this.rows.values()) {
      if (row.alarm.state !== 'active') continue;
      const list = now.get(row.alarm.camera) ?? [];
      list.push(row.alarm);
      now.set(row.alarm.camera, list);
    }
    for (const camera of new Set([...this.activeByCamera.keys(), ...now.keys()])) {
      const alarms = now.get(camera) ?? [];
      const key = alarms.map((a) => `${a.id}|${a.rule}`).join(',');
      if ((this.activeByCamera.get(camera) ?? '') === key) continue;
      if (key) this.activeByCamera.set(camera, key);
      else this.activeByCamera.delete(camera);
      this.env.activeChanged(camera, alarms);
    }
    let active = 0;
    for (const alarms of now.values()) active += alarms.length;
    this.activeEl.textContent = `${active} active`;
    this.activeEl.dataset.count = String(active);
    this.toggleCount.textContent = String(active);
    this.toggleEl.dataset.active = String(active > 0);
  }

  renderChrome() {
    this.emptyEl.hidden = this.rows.size > 0 || this.failed !== null;
    this.emptyEl.textContent = this.loaded ? 'No alarms yet. They appear here as they happen.' : 'Loading alarms…';
    this.renderMore();
  }

  renderMore() {
    this.moreEl.hidden = !this.loaded || (!this.next && !this.trimmed);
    this.moreEl.disabled = this.loadingMore;
    this.moreEl.textContent = this.loadingMore ? 'Loading…' : 'Load older alarms';
  }

  /** GET /api/alarms; on failure the panel says what failed and offers to retry. */
  async fetchPage(params, what = 'refresh') {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE), ...params });
    const shown = `GET /api/alarms?${query}`;
    try {
      const response = await fetch(`api/alarms?${query}`, {
        cache: 'no-store',
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(await apiError(response));
      const page = await response.json();
      if (!page || !Array.isArray(page.items)) throw new Error('the answer has no list of alarms');
      this.setError(null);
      return { items: page.items, next: typeof page.next === 'string' ? page.next : null };
    } catch (error) {
      this.setError(`${shown}: ${failureText(error)}`, what);
      return null;
    }
  }

  setError(message, what = null) {
    this.failed = message ? what : null;
    this.errorEl.hidden = !message;
    if (message) this.errorText.textContent = what === 'more' ? `Cannot load older alarms (${message}).` : `Cannot load alarms (${message}).`;
    this.renderChrome();
  }

  announce(text) {
    // the same words twice in a row are not read again unless the region changes
    this.announceEl.textContent = this.announceEl.textContent === text ? `${text}.` : text;
  }

  setHidden(hidden, relayout = true) {
    this.el.hidden = hidden;
    this.toggleEl.setAttribute('aria-expanded', String(!hidden));
    try {
      localStorage.setItem(HIDDEN_KEY, hidden ? '1' : '0');
    } catch {
      // storage refused (private mode, policy): the choice just lasts until reload
    }
    if (relayout) this.env.layoutChanged();
  }
}

function readHidden() {
  try {
    return localStorage.getItem(HIDDEN_KEY) === '1';
  } catch {
    return false;
  }
}

/** Runs `write` only when `value` changed since the row was last drawn. */
function set(row, slot, write, value) {
  if (row.rendered[slot] === value) return;
  row.rendered[slot] = value;
  write();
}
