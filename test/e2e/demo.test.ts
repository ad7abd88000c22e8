/**
 * The demo, as `npm run demo` starts it (startDemo: redis-server, the RTSP server's two synthetic cameras, the
 * all-in-one process with the demo's alarm settings), opened in a real headless Chromium. Nothing is seeded: the
 * ball crossing the yard camera's restricted zone must raise a real intrusion alarm, the page must list it live,
 * and clicking it must play its clip, which starts before the alarm did. Screenshots land in test-results/.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { AlarmRecord, EgressStatus } from '@vigil/contracts';
import { DEMO_ALARMS, findRepoFile, startDemo, type DemoHandle } from '../../scripts/support';
import { launchChromium } from '../support/browser';
import { sampleStream } from '../support/stream-sample';
import { waitFor } from '../support/wait';

describe('the demo in a browser', { timeout: 240_000 }, () => {
  let demo: DemoHandle;
  let alarmsDir: string;
  let browser: Browser;
  let page: Page;
  const shots = join(findRepoFile('package.json'), '..', 'test-results');
  /** the first alarm the page listed */
  let alarmId: string;

  before(async () => {
    await mkdir(shots, { recursive: true });
    alarmsDir = await mkdtemp(join(tmpdir(), 'vigil-demo-alarms-'));
    demo = await startDemo({ alarmsDir });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(demo.url);
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
    if (alarmsDir) await rm(alarmsDir, { recursive: true, force: true });
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
});
