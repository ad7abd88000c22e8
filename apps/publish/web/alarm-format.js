// Pure helpers of the alarms panel: how an alarm record reads on the page, and which of two
// copies of the same record is the more recent one.

/** Later clip states rank higher; `ready` and `failed` are both final outcomes of encoding. */
const CLIP_RANK = { recording: 0, encoding: 1, ready: 2, failed: 2, deleted: 3 };

/** An alarm record from the API or an `alarm` event, or null when it lacks what a row needs. */
export function parseAlarm(value) {
  if (!value || typeof value !== 'object') return null;
  if (typeof value.id !== 'string' || typeof value.camera !== 'string' || !Number.isFinite(Number(value.startedAt))) return null;
  return value;
}

/**
 * Whether `incoming` is not older than `current` (the same alarm). Records carry no version, and a
 * page fetched before an event can answer after it: comparing how far the episode has got keeps
 * the page from going back to a stale copy (an ended alarm turning active again, a ready clip
 * back to encoding).
 */
export function isNotOlder(incoming, current) {
  const a = progress(incoming);
  const b = progress(current);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}

function progress(alarm) {
  return [
    alarm.state === 'ended' ? 1 : 0,
    Number(alarm.lastSeenAt) || 0,
    Number(alarm.violations) || 0,
    CLIP_RANK[alarm.clip?.state] ?? -1,
    alarm.snapshot ? 1 : 0,
  ];
}

/** Newest first, as the API lists them: start time, then id (ids sort by time too). */
export function compareAlarms(a, b) {
  if (a.startedAt !== b.startedAt) return b.startedAt - a.startedAt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Start time in the viewer's time zone: the time alone today, with the date otherwise. */
export function formatStart(epochMs, now = Date.now()) {
  const date = new Date(epochMs);
  const sameDay = date.toDateString() === new Date(now).toDateString();
  const options = { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false };
  return sameDay ? date.toLocaleTimeString('en-GB', options) : date.toLocaleString('en-GB', { day: 'numeric', month: 'short', ...options });
}

/** "850 ms" is noise on an alarm list: seconds, minutes and hours as a person says them. */
export function formatDuration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.floor(ms / 1000);
  if (s < 1) return '< 1 s';
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** How long the episode lasted (ended), or has lasted so far (active, by this browser's clock). */
export function alarmDuration(alarm, now = Date.now()) {
  const end = alarm.state === 'ended' ? (alarm.endedAt ?? alarm.lastSeenAt) : now;
  // a camera clock ahead of this browser's would make an active alarm's age negative
  return Math.max(0, Number(end) - Number(alarm.startedAt));
}

export function formatScore(score) {
  const n = Number(score);
  return Number.isFinite(n) ? n.toFixed(2) : '—';
}

/** What the row says about the clip, and whether it can be played. */
export function describeClip(clip) {
  const state = clip?.state;
  switch (state) {
    case 'ready': {
      const length = Number(clip.to) - Number(clip.from);
      return { state, playable: true, text: Number.isFinite(length) && length > 0 ? `clip ${(length / 1000).toFixed(1)} s` : 'clip ready' };
    }
    case 'recording':
      return { state, playable: false, text: 'clip recording…' };
    case 'encoding':
      return { state, playable: false, text: 'clip encoding…' };
    case 'failed':
      return { state, playable: false, text: `clip failed${clip.error ? `: ${clip.error}` : ''}` };
    case 'deleted':
      return { state, playable: false, text: 'clip deleted (retention)' };
    default:
      return { state: 'none', playable: false, text: 'no clip' };
  }
}

/** The sentence the player shows instead of a video when the clip cannot be played. */
export function clipUnavailable(clip) {
  switch (clip?.state) {
    case 'recording':
      return 'The clip is still being recorded; it can be played once it is encoded.';
    case 'encoding':
      return 'The clip is being encoded; it can be played in a moment.';
    case 'failed':
      return `The clip could not be made: ${clip.error || 'no reason given'}.`;
    case 'deleted':
      return 'The clip was deleted by retention.';
    default:
      return 'This alarm has no clip.';
  }
}

/** The message of an API error answer (NestJS: { statusCode, message, error }), else its status. */
export async function apiError(response) {
  let detail = '';
  try {
    const text = await response.text();
    try {
      const body = JSON.parse(text);
      const message = Array.isArray(body?.message) ? body.message.join('; ') : body?.message;
      detail = typeof message === 'string' ? message : text;
    } catch {
      detail = text;
    }
  } catch (error) {
    detail = error instanceof Error ? error.message : String(error);
  }
  detail = detail.trim().slice(0, 300);
  return `HTTP ${response.status}${detail ? `: ${detail}` : ''}`;
}

/** A fetch failure as a short reason. */
export function failureText(error) {
  if (error instanceof Error) return error.name === 'TimeoutError' ? 'timed out' : error.message;
  return String(error);
}
