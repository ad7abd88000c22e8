/**
 * The alarms panel of the web page, in a real headless Chromium (Debian's, driven by playwright-core) against the
 * publish app and a real redis-server. Alarms are seeded as the alarms service leaves them (records written with
 * the real AlarmStore, clip and snapshot files in ALARMS_DIR) and live ones are published on the camera's alarm
 * channel, as the alarms service does. Screenshots land in test-results/.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { channels, type AlarmEvent, type AlarmRecord } from '@vigil/contracts';
import { AlarmStore } from '../../libs/alarms/src/store';
import { findRepoFile, generateClip, generateImageSequence, startRedisServer, startVigil, type RedisServerHandle, type VigilHandle } from '../../scripts/support';
import { launchChromium, signedInPage, signInOnPage } from '../support/browser';
import { storedAlarm } from '../support/alarm-fixtures';
import { sendJson } from '../support/api';

/** the page's first GET /api/alarms */
const PAGE_SIZE = 50;
const MEDIA_CACHE = join(tmpdir(), 'vigil-test-media');

describe('the alarms panel in headless Chromium', { timeout: 180_000 }, () => {
  let redis: RedisServerHandle;
  let vigil: VigilHandle;
  let client: Redis;
  let store: AlarmStore;
  let alarmsDir: string;
  let browser: Browser;
  let page: Page;
  const shots = join(findRepoFile('package.json'), '..', 'test-results');
  /** status of every clip response the page got: the player must be served byte ranges to seek */
  const clipResponses: number[] = [];

  // the featured alarms, newest first, all an hour or less old; 50 older ones fill the first page and spill over
  const base = Date.now() - 30 * 60_000;
  const active = storedAlarm({ camera: 'gate', rule: 'helmet', kind: 'ppe', classes: ['person', 'no_helmet'], score: 0.64, startedAt: base + 180_000, state: 'active', clip: { state: 'recording' } });
  const failed = storedAlarm({ camera: 'yard', rule: 'intrusion', startedAt: base + 120_000, snapshot: false, clip: { state: 'failed', error: 'ffmpeg exited with code 1' } });
  const encoding = storedAlarm({ camera: 'gate', rule: 'helmet', kind: 'ppe', classes: ['person', 'no_helmet'], startedAt: base + 60_000, clip: { state: 'encoding' } });
  const ready = storedAlarm({ camera: 'yard', rule: 'intrusion', score: 0.87, startedAt: base, clip: { state: 'ready', from: base - 2000, to: base, frames: 20, bytes: 1, encoder: 'x264' } });
  const featured = [active, failed, encoding, ready];
  const filler = Array.from({ length: PAGE_SIZE }, (_, i) => storedAlarm({ camera: 'yard', rule: 'intrusion', startedAt: base - 3_600_000 - i * 1000, clip: { state: 'deleted' }, snapshot: false }));
  const seeded = [...featured, ...filler];

  before(async () => {
    await mkdir(shots, { recursive: true });
    alarmsDir = await mkdtemp(join(tmpdir(), 'vigil-alarms-'));
    const [clip, snapshots] = await Promise.all([
      generateClip({ path: join(MEDIA_CACHE, 'alarm-clip-320x180-2s.mp4'), width: 320, height: 180, fps: 10, seconds: 2, codec: 'h264' }),
      generateImageSequence({ dir: join(MEDIA_CACHE, 'alarm-snapshot-320x180'), width: 320, height: 180, count: 1 }),
    ]);
    const snapshot = snapshots.replace('%06d', '000000');
    await copyFile(clip, join(alarmsDir, `${ready.id}.mp4`));
    for (const a of seeded) if (a.snapshot) await copyFile(snapshot, join(alarmsDir, `${a.id}.jpg`));

    redis = await startRedisServer();
    client = new Redis(redis.url);
    store = new AlarmStore(client);
    for (const a of seeded) await store.record({ type: a.state === 'active' ? 'start' : 'end', alarm: a });

    vigil = await startVigil({ app: 'publish', redisUrl: redis.url, env: { ALARMS_DIR: alarmsDir } });
    // no ingest runs: the cameras stay offline, but the page lists them and subscribes to them, which is what brings their alarms
    for (const camera of [{ id: 'yard', name: 'Yard' }, { id: 'gate', name: 'Gate' }]) {
      const created = await sendJson('POST', `${vigil.url}/api/cameras`, { ...camera, url: 'test://ball', width: 320, height: 180, fps: 5 });
      assert.equal(created.status, 201, `POST /api/cameras ${camera.id}: ${JSON.stringify(created.body)}`);
    }

    browser = await launchChromium();
    page = await signedInPage(browser, vigil.url, vigil.adminToken, {
      prepare: (page) =>
        page.on('response', (response) => {
          if (/\/api\/alarms\/\w+\/clip$/.test(response.url())) clipResponses.push(response.status());
        }),
    });
  });

  after(async () => {
    await browser?.close();
    await vigil?.stop();
    await client?.quit();
    await redis?.stop();
    if (alarmsDir) await rm(alarmsDir, { recursive: true, force: true });
  });

  /** Waits for a condition in the page; on timeout the error carries the panel and the log. */
  const waitInPage = async <A>(what: string, fn: (arg: A) => boolean, arg: A, timeout = 15_000): Promise<void> => {
    try {
      await page.waitForFunction(fn as (arg: unknown) => boolean, arg as unknown, { timeout });
    } catch (error) {
      const panel = await page
        .locator('#alarms')
        .evaluate((el) => el.outerHTML.replace(/\s+/g, ' ').slice(0, 3000))
        .catch(() => '(no panel)');
      const log = vigil.child.lastLines().slice(-20).map((line) => line.text).join('\n');
      throw new Error(`${what}: ${(error as Error).message}\npanel: ${panel}\nlog:\n${log}`);
    }
  };
  const row = (id: string) => page.locator(`#alarm-list > li[data-alarm="${id}"]`);
  const rowIds = () => page.locator('#alarm-list > li').evaluateAll((rows) => rows.map((li) => (li as HTMLElement).dataset.alarm));
  const rowCount = (n: number) => waitInPage(`${n} rows`, (count) => document.querySelectorAll('#alarm-list > li').length === count, n);
  const rowAttr = (id: string, name: string, value: string) =>
    waitInPage(`row ${id} ${name}=${value}`, ([i, n, v]) => document.querySelector(`#alarm-list > li[data-alarm="${i}"]`)?.getAttribute(n) === v, [id, name, value]);
  const text = async (id: string, selector: string) => (await row(id).locator(selector).innerText()).trim();

  /** As the alarms service does: the record first, then the live event. */
  const emit = async (type: AlarmEvent['type'], a: AlarmRecord) => {
    await store.record({ type, alarm: a });
    await client.publish(channels.alarms(a.camera), JSON.stringify({ type, alarm: a } satisfies AlarmEvent));
  };
  /** Alarms are delivered to clients subscribed to the camera; the page subscribes each tile. */
  const subscribed = (camera: string) =>
    waitInPage(`subscribed to ${camera}`, (c) => document.querySelector(`[data-camera="${c}"]`)?.getAttribute('data-subscription') === 'ok', camera);

  test('the panel lists the stored alarms newest first, one page, with their details', async () => {
    await rowCount(PAGE_SIZE);
    assert.deepEqual(await rowIds(), seeded.slice(0, PAGE_SIZE).map((a) => a.id));
    await page.locator('#alarms-more').waitFor({ state: 'visible' });

    // camera names come from GET /api/cameras, which may answer after the alarms
    await waitInPage('camera names', (id) => document.querySelector(`li[data-alarm="${id}"] .alarm-camera`)?.textContent === 'Yard', ready.id);
    assert.equal(await text(ready.id, '.alarm-rule'), 'intrusion');
    assert.equal(await text(ready.id, '.alarm-score'), '0.87');
    assert.deepEqual(await row(active.id).locator('.alarm-class').allInnerTexts(), ['person', 'no_helmet']);
    assert.equal(await row(ready.id).locator('time').getAttribute('datetime'), new Date(ready.startedAt).toISOString());
    assert.match(await text(ready.id, 'time'), /\d\d:\d\d:\d\d$/);
    assert.equal(await text(ready.id, '.alarm-duration'), '12 s', 'an ended alarm shows how long it lasted');
    assert.equal(await row(ready.id).getAttribute('data-state'), 'ended');
    assert.equal(await row(active.id).getAttribute('data-state'), 'active');
    assert.match(await text(active.id, '.alarm-duration'), /^active\s+\d/i, 'an active alarm says so, and for how long');
    assert.equal(await row(active.id).locator('.alarm-active-dot').evaluate((el) => getComputedStyle(el).animationName), 'pulse');

    assert.equal(await text(ready.id, '.alarm-clip'), 'clip 2.0 s');
    assert.equal(await text(active.id, '.alarm-clip'), 'clip recording…');
    assert.equal(await text(encoding.id, '.alarm-clip'), 'clip encoding…');
    assert.equal(await text(failed.id, '.alarm-clip'), 'clip failed: ffmpeg exited with code 1');

    assert.equal(await page.locator('#alarms-active').innerText(), '1 active');
    await waitInPage('gate tile alarm badge', () => document.querySelector('[data-camera="gate"]')?.getAttribute('data-alarm') === 'true', null);
    assert.ok(await page.locator('[data-camera="gate"] .alarm-badge').isVisible());
    assert.ok(!(await page.locator('[data-camera="yard"] .alarm-badge').isVisible()), 'no badge on a camera without active alarms');
    await page.screenshot({ path: join(shots, 'web-alarms-list.png') });
  });

  test('the snapshot thumbnails load; alarms without one say so', async () => {
    for (const a of [ready, encoding, active]) {
      await waitInPage(`snapshot of ${a.id}`, (id) => document.querySelector(`li[data-alarm="${id}"] .alarm-thumb`)?.getAttribute('data-snapshot') === 'loaded', a.id);
    }
    const size = await row(ready.id).locator('.alarm-thumb img').evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight]);
    assert.deepEqual(size, [320, 180], 'the JPEG from ALARMS_DIR, decoded');
    assert.equal(await row(failed.id).locator('.alarm-thumb').getAttribute('data-snapshot'), 'none');
    assert.equal(await text(failed.id, '.alarm-thumb'), 'no snapshot');
  });

  test('"load older alarms" follows the cursor; its failure shows in the panel and Retry recovers', async () => {
    // only the older page fails: the page also reads the newest page again whenever it (re)subscribes a camera
    const olderPage = (url: URL) => url.pathname.endsWith('/api/alarms') && url.searchParams.has('cursor');
    await page.route(olderPage, (route) =>
      route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ statusCode: 503, message: 'Redis is not reachable' }) }),
    );
    await page.locator('#alarms-more').click();
    const error = page.locator('#alarms-error');
    await error.waitFor({ state: 'visible' });
    assert.match(await error.innerText(), /Cannot load older alarms \(GET \/api\/alarms\?limit=50&cursor=\S+: HTTP 503: Redis is not reachable\)/);
    assert.equal(await page.locator('#alarm-list > li').count(), PAGE_SIZE, 'the rows shown stay');

    await page.unroute(olderPage);
    await error.getByRole('button', { name: 'Retry' }).click();
    await rowCount(seeded.length);
    assert.deepEqual(await rowIds(), seeded.map((a) => a.id));
    await error.waitFor({ state: 'hidden' });
    await page.locator('#alarms-more').waitFor({ state: 'hidden' });
  });

  test('a live start event adds a row without a reload; update and end change that row', async () => {
    await page.evaluate(() => Object.assign(window, { sameDocument: true }));
    await subscribed('yard');
    const startedAt = Date.now();
    const live = storedAlarm({ camera: 'yard', rule: 'intrusion', classes: ['person'], score: 0.55, startedAt, lastSeenAt: startedAt, violations: 1, state: 'active', snapshot: false, clip: { state: 'recording' } });

    await emit('start', live);
    await rowAttr(live.id, 'data-state', 'active');
    assert.equal((await rowIds())[0], live.id, 'the newest alarm goes on top');
    assert.equal(await page.locator('#alarms-announce').textContent(), 'Alarm: intrusion on Yard', 'screen readers hear of it');
    await waitInPage('yard tile alarm badge', () => document.querySelector('[data-camera="yard"]')?.getAttribute('data-alarm') === 'true', null);
    assert.equal(await page.locator('#alarms-active').innerText(), '2 active');

    const updated = { ...live, score: 0.91, classes: ['person', 'car'], lastSeenAt: startedAt + 3000, violations: 30, snapshot: true };
    await copyFile(join(MEDIA_CACHE, 'alarm-snapshot-320x180', '000000.jpg'), join(alarmsDir, `${live.id}.jpg`));
    await emit('update', updated);
    await waitInPage('score updated', (id) => document.querySelector(`li[data-alarm="${id}"] .alarm-score`)?.textContent === '0.91', live.id);
    assert.deepEqual(await row(live.id).locator('.alarm-class').allInnerTexts(), ['person', 'car']);
    await waitInPage('snapshot of the updated alarm', (id) => document.querySelector(`li[data-alarm="${id}"] .alarm-thumb`)?.getAttribute('data-snapshot') === 'loaded', live.id);
    assert.equal(await page.locator(`#alarm-list > li[data-alarm="${live.id}"]`).count(), 1, 'an update replaces the row');

    const ended = { ...updated, state: 'ended' as const, endedAt: startedAt + 65_000, lastSeenAt: startedAt + 65_000, clip: { state: 'encoding' as const } };
    await emit('end', ended);
    await rowAttr(live.id, 'data-state', 'ended');
    assert.equal(await text(live.id, '.alarm-duration'), '1 min 05 s');
    assert.equal(await text(live.id, '.alarm-clip'), 'clip encoding…');
    await waitInPage('yard badge gone', () => document.querySelector('[data-camera="yard"]')?.getAttribute('data-alarm') === 'false', null);
    assert.equal(await page.locator('#alarms-active').innerText(), '1 active');

    // the clip becomes ready: an update, and the row offers to play it
    await copyFile(join(MEDIA_CACHE, 'alarm-clip-320x180-2s.mp4'), join(alarmsDir, `${live.id}.mp4`));
    await emit('update', { ...ended, clip: { state: 'ready', from: startedAt, to: startedAt + 2000, frames: 20, bytes: 1, encoder: 'x264' } });
    await rowAttr(live.id, 'data-clip', 'ready');
    assert.equal(await text(live.id, '.alarm-clip'), 'clip 2.0 s');
    assert.equal(await page.locator('#alarm-list > li').count(), seeded.length + 1);
    assert.equal(await page.evaluate(() => (window as { sameDocument?: boolean }).sameDocument), true, 'the page was not reloaded');
  });

  test('clicking an alarm with a ready clip plays it, and it seeks; Escape closes the player', async () => {
    const opener = row(ready.id).locator('button.alarm-open');
    await opener.click();
    const dialog = page.locator('#alarm-player');
    await dialog.waitFor({ state: 'visible' });
    assert.equal(await dialog.getAttribute('data-alarm'), ready.id);
    const video = dialog.locator('video');
    assert.equal(await video.getAttribute('src'), `api/alarms/${ready.id}/clip`);
    await waitInPage('the clip plays', () => {
      const v = document.querySelector<HTMLVideoElement>('#alarm-player video');
      return v != null && v.readyState >= 2 && v.duration > 0 && v.currentTime > 0;
    }, null);
    const duration = await video.evaluate((v: HTMLVideoElement) => v.duration);
    assert.ok(Math.abs(duration - 2) < 0.5, `the 2 s clip (${duration} s)`);

    // seeking needs the server to answer byte ranges; Chromium asks for them from the first request
    const seeked = await video.evaluate(
      (v: HTMLVideoElement) =>
        new Promise<{ time: number; seekable: number }>((resolve, reject) => {
          v.pause();
          v.addEventListener('seeked', () => resolve({ time: v.currentTime, seekable: v.seekable.length ? v.seekable.end(0) : 0 }), { once: true });
          v.addEventListener('error', () => reject(new Error(`video error ${v.error?.code}`)), { once: true });
          v.currentTime = 1.5;
        }),
    );
    assert.ok(Math.abs(seeked.time - 1.5) < 0.2, `seeked to 1.5 s (${seeked.time})`);
    assert.ok(seeked.seekable > 1.5, `the whole clip is seekable (${seeked.seekable})`);
    assert.ok(clipResponses.includes(206), `a partial response to a Range request (${clipResponses.join(', ')})`);
    await page.screenshot({ path: join(shots, 'web-alarms-player.png') });

    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await video.getAttribute('src'), null, 'closing stops the download');
    assert.equal(await opener.evaluate((el) => el === document.activeElement), true, 'focus goes back to the row');
  });

  test('an alarm whose clip is not ready says so in the player', async () => {
    const dialog = page.locator('#alarm-player');
    await row(encoding.id).locator('button.alarm-open').click();
    await dialog.waitFor({ state: 'visible' });
    assert.match(await dialog.locator('.player-message').innerText(), /being encoded/);
    assert.ok(!(await dialog.locator('video').isVisible()), 'no video');
    await waitInPage('the snapshot instead', () => (document.querySelector<HTMLImageElement>('#alarm-player .player-still')?.naturalWidth ?? 0) > 0, null);
    await dialog.getByRole('button', { name: 'Close the player' }).click();
    await dialog.waitFor({ state: 'hidden' });

    await row(failed.id).locator('button.alarm-open').click();
    await dialog.waitFor({ state: 'visible' });
    assert.equal(await dialog.locator('.player-message').innerText(), 'The clip could not be made: ffmpeg exited with code 1.');
    assert.equal(await dialog.locator('.player-message').getAttribute('data-kind'), 'error');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
  });

  test('a page that cannot read the alarms says why', async () => {
    const other = await signedInPage(browser, vigil.url, vigil.adminToken, {
      prepare: (page) =>
        page.route(
          (url) => url.pathname.endsWith('/api/alarms'),
          (route) => route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ statusCode: 500, message: 'Internal server error' }) }),
        ),
    });
    try {
      const error = other.locator('#alarms-error');
      await error.waitFor({ state: 'visible' });
      assert.equal(await error.locator('.alarms-error-text').innerText(), 'Cannot load alarms (GET /api/alarms?limit=50: HTTP 500: Internal server error).');
      assert.ok(!(await other.locator('#alarms-empty').isVisible()), 'no "loading" or "no alarms" next to the error');
      assert.equal(await other.locator('#alarm-list > li').count(), 0);
    } finally {
      await other.close();
    }
  });

  test('the Alarms button hides the panel and the cameras take the room', async () => {
    const toggle = page.getByRole('button', { name: /^Alarms/ });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    const before = (await page.locator('#grid').boundingBox())!.width;
    await toggle.click();
    await page.locator('#alarms').waitFor({ state: 'hidden' });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    const wider = (await page.locator('#grid').boundingBox())!.width;
    assert.ok(wider > before + 200, `the grid grows (${before} -> ${wider})`);
    await toggle.click();
    await page.locator('#alarms').waitFor({ state: 'visible' });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  });

  test('on a narrow screen the panel is a strip below the cameras', async () => {
    await page.setViewportSize({ width: 420, height: 860 });
    const grid = await page.locator('#grid').boundingBox();
    const panel = await page.locator('#alarms').boundingBox();
    assert.ok(grid && panel);
    assert.ok(panel.y >= grid.y + grid.height - 1, `below the grid (${JSON.stringify({ grid, panel })})`);
    assert.ok(panel.width > 380, `as wide as the page (${panel.width})`);
    // the top bar still fits: nothing in it overlaps the brand
    const brand = (await page.locator('.brand').boundingBox())!;
    const summary = (await page.locator('.summary').boundingBox())!;
    assert.ok(brand.x + brand.width <= summary.x, `the top bar fits (${JSON.stringify({ brand, summary })})`);
    await page.locator('#alarms').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'web-alarms-narrow.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});
