// vigil live view: polls GET /api/cameras, keeps one tile per camera, subscribes each to its raw
// (or, on request, annotated) JPEG stream over Socket.IO, draws the frames, and draws the boxes of
// the `detections` events the server sends for every camera a client watches. The alarms panel
// (alarms.js) lists the alarms of those cameras, live from their `alarm` events.

import { AlarmsPanel } from './alarms.js';
import { CameraTile } from './tile.js';
import { fitGrid } from './layout.js';
import { formatBitrate } from './stats.js';
import { enableAdminControls } from './admin.js';
import { showLogin } from './login.js';
import { signOut, whoAmI } from './session.js';

const POLL_MS = 2000;
const POLL_TIMEOUT_MS = 5000;
const ACK_TIMEOUT_MS = 5000;
const RESUBSCRIBE_AFTER_ERROR_MS = 5000;
const SERVER_DISCONNECT_RETRY_MS = 2000;
const FORMAT = 'jpeg';

const $ = (id) => document.getElementById(id);
const grid = $('grid');
const ui = {
  live: $('count-live'),
  total: $('count-total'),
  ingress: $('ingress'),
  conn: $('conn'),
  connText: $('conn-text'),
  clock: $('clock'),
  banner: $('banner'),
  empty: $('empty'),
  emptyTitle: $('empty-title'),
  emptyDetail: $('empty-detail'),
};

/** camera id -> CameraTile, in the order the API lists them */
const tiles = new Map();
let socket = null;
let apiError = null;
let loaded = false;
let layoutCount = -1;
/** Counts connects and disconnects: an answer from an earlier connection changes nothing. */
let epoch = 0;

const env = {
  connected: () => socket?.connected === true,
  streamChanged: (tile) => syncTile(tile),
};

const alarms = new AlarmsPanel({
  cameraName: (id) => {
    const name = tiles.get(id)?.camera.name;
    return typeof name === 'string' && name.trim() ? name.trim() : id;
  },
  activeChanged: (camera, list) => tiles.get(camera)?.setAlarms(list),
  layoutChanged: () => relayout(),
});
/** camera names as last given to the alarms panel */
let alarmNames = '';

// ---- Socket.IO

function connect() {
  if (typeof window.io !== 'function') {
    showBanner('The Socket.IO client (socket.io/socket.io.js) did not load: live frames are unavailable. Reload the page to retry.');
    return;
  }
  // same origin; the path follows the page so a reverse-proxy prefix keeps working
  const path = new URL('socket.io', location.href).pathname;
  socket = window.io({ path });
  socket.on('connect', () => {
    // a fresh connection has no subscriptions: (re)subscribe everything, each tile to the stream it shows
    epoch++;
    for (const tile of tiles.values()) tile.resetSubscription();
    syncSubscriptions();
    renderConnection();
  });
  socket.on('disconnect', (reason) => {
    epoch++;
    for (const tile of tiles.values()) tile.resetSubscription();
    renderConnection();
    // the client reconnects by itself except when the server closed the socket on purpose
    if (reason === 'io server disconnect') setTimeout(() => socket.connected || socket.connect(), SERVER_DISCONNECT_RETRY_MS);
  });
  socket.on('connect_error', (error) => {
    // the session ended or was revoked: the sign-in screen says what to do
    if (/^unauthorized/.test(error?.message ?? '')) location.reload();
    renderConnection();
  });
  socket.io.on('reconnect_attempt', () => renderConnection());
  socket.on('frame', (event) => {
    if (!event || typeof event.camera !== 'string') return;
    const tile = tiles.get(event.camera);
    // frames of a stream the tile no longer shows still arrive until the unsubscribe is through
    if (tile && (event.stream ?? 'raw') === tile.stream) tile.onFrame(event);
  });
  socket.on('detections', (event) => {
    if (!event || typeof event.camera !== 'string') return;
    tiles.get(event.camera)?.onDetections(event);
  });
  socket.on('alarm', (event) => alarms.onEvent(event));
}

/** Emits with an ack; resolves with { err, result } (err when the server did not answer in time). */
function request(event, payload) {
  return new Promise((resolve) => {
    socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, (err, result) => resolve({ err, result }));
  });
}

/**
 * Brings a tile's subscriptions on the server in line with the stream it shows: subscribes that
 * one, then unsubscribes the one it showed before (in that order, so the camera's detections never
 * pause), one request at a time so the server never sees a subscribe and an unsubscribe of the
 * same stream cross. One loop per tile and connection; changes made while it waits are picked up.
 */
function syncTile(tile) {
  if (!socket?.connected || tile.syncing === epoch) return;
  runSync(tile, epoch);
}

async function runSync(tile, my) {
  tile.syncing = my;
  try {
    for (;;) {
      if (!socket?.connected || epoch !== my || tiles.get(tile.id) !== tile) return;
      const stream = tile.stream;
      const due = tile.sub === 'idle' || (tile.sub === 'error' && performance.now() - tile.subErrorAt >= RESUBSCRIBE_AFTER_ERROR_MS);
      if (due) {
        tile.setSubscription('pending');
        const { err, result } = await request('subscribe', { camera: tile.id, stream, format: FORMAT });
        if (epoch !== my || tiles.get(tile.id) !== tile) return;
        if (tile.stream !== stream) {
          tile.extraStreams.add(stream); // switched while waiting: that one goes again
          continue;
        }
        if (err) tile.setSubscription('error', 'the server did not answer');
        else if (result && result.ok) {
          tile.setSubscription('ok');
          // alarms of this camera that began before now sent their events to no one: read them
          alarms.refresh();
        }
        else if (stream === 'annotated') {
          // the camera has no annotated stream (no detection): retrying would never help
          tile.setSubscription('idle');
          tile.refuseAnnotated((result && result.error) || 'refused');
        }
        else tile.setSubscription('error', (result && result.error) || 'refused');
        continue;
      }
      tile.extraStreams.delete(stream);
      const [extra] = tile.extraStreams;
      if (extra === undefined) return;
      tile.extraStreams.delete(extra);
      await request('unsubscribe', { camera: tile.id, stream: extra, format: FORMAT });
    }
  } finally {
    if (tile.syncing === my) tile.syncing = null;
  }
}

/** A removed camera: drop whatever this page may still be subscribed to. */
function unsubscribeAll(tile) {
  if (!socket?.connected) return;
  for (const stream of new Set([tile.stream, ...tile.extraStreams])) {
    socket.timeout(ACK_TIMEOUT_MS).emit('unsubscribe', { camera: tile.id, stream, format: FORMAT }, () => {});
  }
}

function syncSubscriptions() {
  for (const tile of tiles.values()) syncTile(tile);
}

// ---- REST poll

async function poll() {
  try {
    const response = await fetch('api/cameras', {
      cache: 'no-store',
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(POLL_TIMEOUT_MS),
    });
    // the session ended (signed out elsewhere, expired, revoked): back to the sign-in screen
    if (response.status === 401) location.reload();
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const cameras = await response.json();
    if (!Array.isArray(cameras)) throw new Error('the answer is not a list of cameras');
    apiError = null;
    loaded = true;
    applyCameras(cameras);
  } catch (error) {
    apiError = error instanceof Error ? (error.name === 'TimeoutError' ? 'timed out' : error.message) : String(error);
  }
  renderBanner();
  renderSummary();
  setTimeout(poll, POLL_MS);
}

function applyCameras(cameras) {
  const seen = new Set();
  const ordered = [];
  for (const camera of cameras) {
    if (!camera || typeof camera.id !== 'string' || seen.has(camera.id)) continue;
    seen.add(camera.id);
    let tile = tiles.get(camera.id);
    if (tile) tile.update(camera);
    else {
      tile = new CameraTile(camera, env);
      tile.setAlarms(alarms.activeFor(camera.id));
      tiles.set(camera.id, tile);
    }
    ordered.push(tile);
  }
  for (const [id, tile] of tiles) {
    if (seen.has(id)) continue;
    unsubscribeAll(tile);
    tile.dispose();
    tiles.delete(id);
  }
  // keep the API's order; only move what is out of place (a moved canvas keeps its picture)
  ordered.forEach((tile, index) => {
    if (grid.children[index] !== tile.el) grid.insertBefore(tile.el, grid.children[index] ?? null);
  });
  // re-insert the map in API order so iteration matches the page
  tiles.clear();
  for (const tile of ordered) tiles.set(tile.id, tile);

  if (ordered.length !== layoutCount) {
    layoutCount = ordered.length;
    relayout();
  }
  syncSubscriptions();
  evaluateAll();
  const names = ordered.map((t) => `${t.id}=${t.camera.name ?? ''}`).join('\n');
  if (names !== alarmNames) {
    alarmNames = names;
    alarms.camerasChanged();
  }
}

// ---- rendering

function evaluateAll() {
  const now = performance.now();
  for (const tile of tiles.values()) tile.evaluate(now);
  renderSummary();
}

function renderStatsAll() {
  const now = performance.now();
  let ingress = 0;
  for (const tile of tiles.values()) {
    const s = tile.renderStats(now);
    if (s) ingress += s.bitrate;
  }
  const bitrate = formatBitrate(ingress);
  ui.ingress.textContent = tiles.size ? `${bitrate.text} ${bitrate.unit}` : '—';
}

function renderSummary() {
  let live = 0;
  for (const tile of tiles.values()) if (tile.view === 'live') live++;
  setText(ui.live, String(live));
  setText(ui.total, String(tiles.size));
  ui.live.parentElement.dataset.allLive = String(tiles.size > 0 && live === tiles.size);

  const empty = tiles.size === 0;
  ui.empty.hidden = !empty;
  if (empty) {
    if (!loaded) {
      setText(ui.emptyTitle, apiError ? 'Cannot load cameras' : 'Loading cameras…');
      setText(ui.emptyDetail, apiError ? `GET /api/cameras: ${apiError}. Retrying.` : '');
    } else {
      setText(ui.emptyTitle, 'No cameras configured');
      setText(ui.emptyDetail, 'Cameras appear here as soon as they are added.');
    }
  }
}

function renderConnection() {
  let state;
  let text;
  if (!socket) {
    state = 'down';
    text = 'no client';
  } else if (socket.connected) {
    state = 'up';
    text = 'connected';
  } else {
    state = 'down';
    text = 'reconnecting';
  }
  ui.conn.dataset.conn = state;
  setText(ui.connText, text);
}

let bannerMessage = null;
function showBanner(message) {
  bannerMessage = message;
  renderBanner();
}

function renderBanner() {
  const message = bannerMessage ?? (apiError && loaded ? `Camera list unavailable (GET /api/cameras: ${apiError}); showing the last known cameras, retrying.` : null);
  const changed = ui.banner.hidden !== !message;
  ui.banner.hidden = !message;
  if (message) setText(ui.banner, message);
  if (changed) relayout(); // the banner moves the grid down
}

function renderClock() {
  setText(ui.clock, new Date().toLocaleTimeString('en-GB', { hour12: false }));
}

function relayout() {
  fitGrid(grid, tiles.size);
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

// ---- start

/** The live view for a signed-in identity; nobody signed in gets the sign-in screen instead. */
async function start() {
  let me;
  try {
    me = await whoAmI();
  } catch (error) {
    showLogin(`The server cannot say who is signed in (${error instanceof Error ? error.message : String(error)}). Reload to retry.`);
    return;
  }
  if (!me) {
    showLogin();
    return;
  }
  document.body.dataset.auth = 'in';
  setText($('whoami-name'), me.name);
  setText($('whoami-role'), me.role);
  $('sign-out').addEventListener('click', () => signOut());
  if (me.role === 'admin') enableAdminControls();
  run();
}

function run() {
  connect();
  renderConnection();
  renderClock();
  renderSummary();
  poll();
  alarms.refresh();

  setInterval(evaluateAll, 250);
  setInterval(() => {
    renderStatsAll();
    renderClock();
    renderConnection();
    alarms.tick();
  }, 1000);

  let resizeFrame = 0;
  window.addEventListener('resize', () => {
    cancelAnimationFrame(resizeFrame);
    resizeFrame = requestAnimationFrame(relayout);
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) for (const tile of tiles.values()) tile.resume();
  });
}

start();
