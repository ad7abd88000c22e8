/**
 * The demo exactly as `npm run demo` starts it, with the defaults a newcomer gets (demoOptionsFromEnv with nothing
 * set: port 8080 when free, clips in the repository's .vigil/alarms, the embedded config), opened in a real
 * headless Chromium. Nothing is seeded: the ball crossing the yard camera's restricted zone must raise a real
 * intrusion alarm, the page must list it live with its snapshot, and clicking it must play its clip, which starts
 * before the alarm did. Tests that picked their own temporary folder once hid that every clip under the default
 * dot-folder was a 403. Screenshots land in test-results/.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { io, type Socket } from '../support/io';
import type { AlarmPage } from '@vigil/alarms';
import type { Ack, AlarmRecord, EgressStatus } from '@vigil/contracts';
import { DEMO_ALARMS, defaultDemoAlarmsDir, demoOptionsFromEnv, findRepoFile, startDemo, type DemoHandle } from '../../scripts/support';
import { launchChromium, signInOnPage } from '../support/browser';
import { sampleStream } from '../support/stream-sample';
import { waitFor } from '../support/wait';

describe('the demo in a browser', { timeout: 240_000 }, () => {
  let demo: DemoHandle;
  let browser: Browser;
  let page: Page;
  const shots = join(findRepoFile('package.json'), '..', 'test-results');
  /** the first alarm the page listed */
  let alarmId: string;

  before(async () => {
    await mkdir(shots, { recursive: true });
    demo = await startDemo(demoOptionsFromEnv({}));
    browser = await launchChromium();
    // the sign-in the demo prints
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(demo.url);
    await signInOnPage(page, demo.signIn);
  });

  after(async () => {
    await browser?.close();
    // the clips this run made, and only those: the folder is the user's own demo folder
    const ids = demo ? ((await fetch(`${demo.url}/api/alarms?limit=200`).then((r) => r.json()).catch(() => ({ items: [] }))) as AlarmPage).items.map((a) => a.id) : [];
    await demo?.stop();
    for (const id of ids) {
      for (const path of [`${id}.mp4`, `${id}.jpg`, join('staged', id)]) await rm(join(defaultDemoAlarmsDir(), path), { recursive: true, force: true });
    }
  });

  /** Waits for a condition in the page; on timeout the error carries the panel, the API's alarms and the log. */
  const waitInPage = async <A>(what: string, fn: (arg: A) => boolean, arg: A, timeout: number): Promise<void> => {
    try {
      await page.waitForFunction(fn as (arg: unknown) => boolean, arg as unknown, { timeout, polling: 250 });
    } catch (error) {
      const panel = await page.locator('#alarms').evaluate((el) => el.outerHTML.replace(/\s+/g, ' ').slice(0, 2000)).catch(() => '(no panel)');
      const api = await fetch(`${demo.url}/api/alarms`).then((r) => r.text()).catch((e: Error) => e.message);
      const log = demo.vigil.child.lastLines().slice(-25).map((line) => line.text).join('\n');
      throw new Error(`${what}: ${(error as Error).message}\npanel: ${panel}\nGET /api/alarms: ${api.slice(0, 2000)}\nlog:\n${log}`);
    }
  };
  const alarm = async (id: string): Promise<AlarmRecord> => {
    const response = await fetch(`${demo.url}/api/alarms/${id}`);
    assert.equal(response.status, 200, `GET /api/alarms/${id}`);
    return (await response.json()) as AlarmRecord;
  };

  test('both cameras are live on the page', async () => {
    for (const camera of ['yard', 'gate']) {
      await waitInPage(`${camera} live`, (c) => Number(document.querySelector(`[data-camera="${c}"][data-state="live"]`)?.getAttribute('data-frames')) > 5, camera, 60_000);
    }
  });

  test("the demo runs on the user's defaults, and its start is a few lines without a warning", () => {
    assert.equal(demo.alarmsDir, defaultDemoAlarmsDir(), 'clips in the repository\'s .vigil/alarms');
    const lines = demo.vigil.child.lastLines().map((line) => line.text);
    const start = lines.slice(0, lines.findIndex((line) => /listening on http/.test(line)) + 1);
    assert.ok(start.length > 0 && start.length <= 20, `a start of ${start.length} lines:\n${start.join('\n')}`);
    for (const line of start) assert.doesNotMatch(line, /RouterExplorer|RoutesResolver|InstanceLoader|Mapped \{/, 'no route or module lines');
    assert.match(start.join('\n'), /camera yard: decoder \S+/, 'it names the decoder chosen');
    assert.match(start.join('\n'), /encoder: (x264|nvenc)/, 'and the encoder');
  });

  test("an annotated subscription to the gate, which has no detection, is refused with the reason; the yard's is taken", async () => {
    const socket: Socket = io(demo.url, { transports: ['websocket'], reconnection: false });
    try {
      const ask = (payload: unknown) => socket.timeout(5000).emitWithAck('subscribe', payload) as Promise<Ack>;
      const refused = await ask({ camera: 'gate', stream: 'annotated' });
      assert.equal(refused.ok, false);
      assert.match((refused as { error: string }).error, /camera "gate" has no annotated stream: it has no detect section/);
      assert.deepEqual(await ask({ camera: 'yard', stream: 'annotated' }), { ok: true });
      assert.deepEqual(await ask({ camera: 'gate', stream: 'raw' }), { ok: true });
    } finally {
      socket.disconnect();
    }
  });

  test("the gate tile's stream toggle is disabled and says why", async () => {
    const toggle = page.locator('[data-camera="gate"] button[data-action="toggle-stream"]');
    assert.ok(await toggle.isVisible());
    assert.ok(await toggle.isDisabled());
    assert.match((await toggle.getAttribute('title')) ?? '', /no annotated stream: this camera has no detection/);
    assert.ok(await page.locator('[data-camera="yard"] button[data-action="toggle-stream"]').isEnabled());
  });

  test('the grid fills the width: the two cameras side by side at 1400x900, one column on a phone', async () => {
    const tiles = async () => page.locator('.tile').evaluateAll((els) => els.map((el) => el.getBoundingClientRect().toJSON() as DOMRect));
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.waitForTimeout(300); // the grid is refitted on resize
    const wide = await tiles();
    assert.equal(wide.length, 2);
    assert.ok(Math.abs(wide[0]!.y - wide[1]!.y) < 1, `one row at 1400 px: ${JSON.stringify(wide)}`);
    const grid = await page.locator('#grid').evaluate((el) => el.getBoundingClientRect().toJSON() as DOMRect);
    assert.ok(wide[0]!.width + wide[1]!.width > grid.width * 0.85, `the tiles fill the grid's width (${grid.width} px)`);
    await page.screenshot({ path: join(shots, 'demo-1400x900.png') });

    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    const phone = await tiles();
    assert.ok(Math.abs(phone[0]!.x - phone[1]!.x) < 1 && phone[1]!.y > phone[0]!.y, `one column on a phone: ${JSON.stringify(phone)}`);
    assert.ok(phone[0]!.width > 390 * 0.85, 'as wide as the phone');
    await page.screenshot({ path: join(shots, 'demo-390x844.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test("the yard's annotated stream is pushed to the demo's RTMP server, where a player decodes it", async () => {
    assert.ok(demo.rtmp, 'node-media-server is a devDependency: the demo starts an RTMP server');
    const yard = async () => (await (await fetch(`${demo.url}/api/egress`)).json() as EgressStatus[]).find((status) => status.camera === 'yard');
    await waitFor('the yard push to be live', async () => (await yard())?.state === 'live', 60_000);
    const sample = await sampleStream(demo.rtmp, 1);
    assert.deepEqual([sample.codec, sample.width, sample.height], ['h264', 1280, 720]);
  });

  test('the ball in the restricted zone raises an intrusion alarm that the page lists live', async () => {
    // a pass of the ball is seconds long; the first must show within a minute
    await waitInPage('an alarm row for the yard', () => document.querySelector('#alarm-list > li[data-alarm]') != null, null, 60_000);
    alarmId = (await page.locator('#alarm-list > li[data-alarm]').last().getAttribute('data-alarm'))!;
    const row = page.locator(`#alarm-list > li[data-alarm="${alarmId}"]`);
    assert.equal((await row.locator('.alarm-camera').innerText()).trim(), 'Yard');
    assert.equal((await row.locator('.alarm-rule').innerText()).trim(), 'intrusion');
    const record = await alarm(alarmId);
    assert.equal(record.camera, 'yard');
    assert.equal(record.rule, 'intrusion');
    assert.deepEqual(record.classes, ['motion']);
    assert.ok(record.detections.length > 0, 'the triggering detections are kept');
    await waitInPage('the snapshot thumbnail', (id) => document.querySelector(`li[data-alarm="${id}"] .alarm-thumb`)?.getAttribute('data-snapshot') === 'loaded', alarmId, 30_000);
    await page.screenshot({ path: join(shots, 'demo-alarm.png') });
  });

  test('the alarm ends, its clip becomes ready, and clicking the row plays it from before the alarm', async () => {
    // ends after `quiet` s without the ball in the zone, records `post` s more, then encodes
    await waitInPage('the clip ready', (id) => document.querySelector(`li[data-alarm="${id}"]`)?.getAttribute('data-clip') === 'ready', alarmId, 90_000);
    const record = await alarm(alarmId);
    assert.equal(record.state, 'ended');
    assert.equal(record.clip.state, 'ready');
    const { from, to } = record.clip as { from: number; to: number };
    assert.ok(from < record.startedAt, `the clip starts before the alarm (${record.startedAt - from} ms before)`);
    assert.ok(record.startedAt - from <= DEMO_ALARMS.pre * 1000 + 500, `at most pre = ${DEMO_ALARMS.pre} s before (${record.startedAt - from} ms)`);
    assert.ok(to > record.lastSeenAt, 'and ends after the last violation');

    await page.locator(`#alarm-list > li[data-alarm="${alarmId}"] button.alarm-open`).click();
    const dialog = page.locator('#alarm-player');
    await dialog.waitFor({ state: 'visible' });
    assert.equal(await dialog.getAttribute('data-alarm'), alarmId);
    await waitInPage('the clip plays', () => {
      const v = document.querySelector<HTMLVideoElement>('#alarm-player video');
      return v != null && v.readyState >= 2 && v.duration > 0 && v.currentTime > 0;
    }, null, 30_000);
    const shown = await dialog.locator('video').evaluate((v: HTMLVideoElement) => ({ duration: v.duration, width: v.videoWidth, height: v.videoHeight }));
    assert.deepEqual([shown.width, shown.height], [1280, 720], 'the yard camera at its own size');
    const expected = (to - from) / 1000;
    assert.ok(Math.abs(shown.duration - expected) < 0.5, `the browser's duration ${shown.duration} s matches the clip's ${expected} s`);
    await page.screenshot({ path: join(shots, 'demo-player.png') });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
  });

  test('over HTTP, the clip is an H.264 MP4 that answers Range requests, and the snapshot a JPEG', async () => {
    const clipUrl = `${demo.url}/api/alarms/${alarmId}/clip`;
    const clip = await fetch(clipUrl);
    assert.equal(clip.status, 200);
    assert.equal(clip.headers.get('content-type'), 'video/mp4');
    const bytes = Buffer.from(await clip.arrayBuffer());
    assert.equal(bytes.subarray(4, 8).toString('latin1'), 'ftyp');
    // ffprobe reads the bytes fetched with the admin's token: the token stays out of its argv
    const file = join(await mkdtemp(join(tmpdir(), 'vigil-demo-clip-')), 'clip.mp4');
    await writeFile(file, bytes);
    const sample = await sampleStream(file, 1);
    assert.deepEqual([sample.codec, sample.width, sample.height], ['h264', 1280, 720]);

    const part = await fetch(clipUrl, { headers: { Range: 'bytes=0-99' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 0-99/${bytes.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(0, 100));

    const snapshot = await fetch(`${demo.url}/api/alarms/${alarmId}/snapshot`);
    assert.equal(snapshot.status, 200);
    assert.equal(snapshot.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual([...Buffer.from(await snapshot.arrayBuffer()).subarray(0, 3)], [0xff, 0xd8, 0xff]);
  });

  test('the whole run logged no warning and no error', () => {
    const bad = demo.vigil.child.lastLines().filter((line) => /\b(WARN|ERROR)\b/.test(line.text) || line.stream === 'stderr');
    console.log(bad.map((line) => line.text).join('\n'));
    assert.deepEqual(bad.map((line) => line.text), []);
  });
});
