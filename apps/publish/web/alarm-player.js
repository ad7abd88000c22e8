// The alarm player: a modal dialog with the alarm's clip (served with Range support, so the video
// seeks), or its snapshot and why there is no clip yet. Escape, the close button and a click on
// the backdrop close it; focus goes back to the row that opened it.

import { apiError, clipUnavailable, failureText, formatDuration, formatScore, formatStart, alarmDuration } from './alarm-format.js';

const PROBE_TIMEOUT_MS = 5000;

export class AlarmPlayer {
  /**
   * @param {HTMLDialogElement} dialog
   * @param {{ cameraName: (id: string) => string }} env
   */
  constructor(dialog, env) {
    this.dialog = dialog;
    this.env = env;
    const q = (selector) => dialog.querySelector(selector);
    this.titleEl = q('.player-title');
    this.metaEl = q('.player-meta');
    this.video = q('video');
    this.still = q('.player-still');
    this.messageEl = q('.player-message');
    this.alarm = null;
    this.returnFocus = null;

    q('[data-action="close-player"]').addEventListener('click', () => this.close());
    // a click on the backdrop lands on the dialog itself; clicks on its content land on children
    dialog.addEventListener('click', (event) => {
      if (event.target === dialog) this.close();
    });
    // Escape closes a modal dialog natively; this catches every way it closes
    dialog.addEventListener('close', () => this.closed());
    this.video.addEventListener('error', () => this.videoFailed());
    this.video.addEventListener('loadeddata', () => {
      this.dialog.dataset.video = 'loaded';
    });
    this.still.addEventListener('error', () => {
      this.still.hidden = true;
      this.setMessage(`${this.messageEl.textContent} The snapshot could not be loaded either.`.trim(), 'error');
    });
  }

  get openId() {
    return this.dialog.open ? this.alarm?.id ?? null : null;
  }

  /** Opens the player on an alarm; a ready clip starts playing (the click that got here allows it). */
  open(alarm, opener) {
    this.returnFocus = opener ?? document.activeElement;
    this.alarm = null;
    this.show(alarm);
    if (!this.dialog.open) this.dialog.showModal();
    if (alarm.clip?.state === 'ready') {
      // autoplay can still be refused (a browser setting): the controls remain, so that is no error
      this.video.play().catch(() => {});
    }
  }

  /** A newer copy of the alarm shown (e.g. its clip just became ready). */
  update(alarm) {
    if (this.openId === alarm.id) this.show(alarm);
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }

  show(alarm) {
    const previous = this.alarm;
    this.alarm = alarm;
    const camera = this.env.cameraName(alarm.camera);
    this.titleEl.textContent = `${alarm.rule} · ${camera}`;
    this.dialog.dataset.alarm = alarm.id;
    this.dialog.dataset.clip = alarm.clip?.state ?? 'none';
    const duration = alarm.state === 'active' ? `active for ${formatDuration(alarmDuration(alarm))}` : `lasted ${formatDuration(alarmDuration(alarm))}`;
    const classes = Array.isArray(alarm.classes) && alarm.classes.length ? alarm.classes.join(', ') : '—';
    this.metaEl.textContent = `${formatStart(alarm.startedAt)} · ${duration} · ${classes} · best ${formatScore(alarm.score)}`;

    const ready = alarm.clip?.state === 'ready';
    const src = `api/alarms/${encodeURIComponent(alarm.id)}/clip`;
    if (ready) {
      this.still.hidden = true;
      this.still.removeAttribute('src');
      this.video.hidden = false;
      // the same clip again (an update of an alarm being watched) must not restart the video
      if (previous?.id !== alarm.id || previous?.clip?.state !== 'ready') {
        this.dialog.dataset.video = 'loading';
        this.video.src = src;
        this.video.setAttribute('aria-label', `Clip of ${alarm.rule} on ${camera}`);
      }
      this.setMessage('', 'ok');
      return;
    }
    this.stopVideo();
    this.setMessage(clipUnavailable(alarm.clip), alarm.clip?.state === 'failed' ? 'error' : 'info');
    if (alarm.snapshot) {
      const still = `api/alarms/${encodeURIComponent(alarm.id)}/snapshot`;
      if (this.still.getAttribute('src') !== still) this.still.src = still;
      this.still.alt = `Snapshot of ${alarm.rule} on ${camera}`;
      this.still.hidden = false;
    } else {
      this.still.hidden = true;
      this.still.removeAttribute('src');
    }
  }

  closed() {
    this.stopVideo();
    this.still.removeAttribute('src');
    this.alarm = null;
    delete this.dialog.dataset.alarm;
    const target = this.returnFocus;
    this.returnFocus = null;
    if (target?.isConnected) target.focus();
  }

  /** Stops the download too: a paused video with a src keeps its connection open. */
  stopVideo() {
    this.video.pause();
    this.video.removeAttribute('src');
    this.video.load();
    this.video.hidden = true;
    delete this.dialog.dataset.video;
  }

  /** The element only says "error"; the API says why (gone by retention, not ready, ...). */
  async videoFailed() {
    const alarm = this.alarm;
    if (!alarm || !this.video.getAttribute('src')) return; // stopVideo's empty load
    const code = this.video.error?.code;
    this.dialog.dataset.video = 'error';
    let reason;
    try {
      const response = await fetch(`api/alarms/${encodeURIComponent(alarm.id)}/clip`, {
        headers: { range: 'bytes=0-0' },
        cache: 'no-store',
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      });
      if (!response.ok) reason = await apiError(response);
      else {
        await response.body?.cancel();
        reason = code === MediaError.MEDIA_ERR_SRC_NOT_SUPPORTED ? 'this browser cannot decode the clip' : `the video element reports error ${code ?? '?'} (${this.video.error?.message || 'no detail'})`;
      }
    } catch (error) {
      reason = `GET /api/alarms/${alarm.id}/clip: ${failureText(error)}`;
    }
    if (this.alarm !== alarm) return;
    this.setMessage(`Cannot play the clip: ${reason}`, 'error');
  }

  setMessage(text, kind) {
    this.messageEl.textContent = text;
    this.messageEl.hidden = !text;
    this.messageEl.dataset.kind = kind;
  }
}
