/**
 * The web page in a real headless Chromium (Debian's, driven by playwright-core) against the
 * all-in-one process, a real RTSP server and a real redis-server: a live tile that is not black,
 * figures that change, and a tile that turns black with "offline" when its camera stops.
 * Screenshots land in test-results/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { findRepoFile, startRedisServer, startRtspServer, startVigil, testPatternLaunch, type RedisServerHandle, type RtspServerHandle, type VigilHandle } from '../../scripts/support';
import { launchChromium, signedInPage, signInOnPage } from '../support/browser';


describe('the web page in headless Chromium', { timeout: 120_000 }, () => {
  let redis: RedisServerHandle;
  let rtsp: RtspServerHandle;
  let rtspGate: RtspServerHandle;
  let vigil: VigilHandle;
  let browser: Browser;
  let page: Page;
  const shots = join(findRepoFile('package.json'), '..', 'test-results');

  before(async () => {
    mkdirSync(shots, { recursive: true });
    redis = await startRedisServer();
    rtsp = await startRtspServer({
      mounts: {
        '/yard': testPatternLaunch({ pattern: 'smpte', horizontalSpeed: 4, width: 640, height: 360, fps: 15, codec: 'h264' }),
      },
    });
    // a server of its own, so that stopping the yard camera leaves this one streaming
    rtspGate = await startRtspServer({ mounts: { '/gate': testPatternLaunch({ pattern: 'ball', width: 640, height: 360, fps: 15, codec: 'h264' }) } });
    vigil = await startVigil({
      redisUrl: redis.url,
      env: { WATCHDOG_SECONDS: '3', RECONNECT_MIN_MS: '200', RECONNECT_MAX_MS: '1000' },
      cameras: [
        { id: 'yard', name: 'Yard', url: rtsp.url('/yard'), codec: 'h264' },
        { id: 'gate', name: 'Gate', url: rtspGate.url('/gate'), codec: 'h264' },
      ],
    });
    browser = await launchChromium();
    page = await signedInPage(browser, vigil.url, vigil.adminToken);
  });

  after(async () => {
    await browser?.close();
    await vigil?.stop();
    await rtsp?.stop();
    await rtspGate?.stop();
    await redis?.stop();
  });

  /** Waits for a selector; on timeout the error carries what the API and the page said. */
  const waitForTile = async (selector: string, timeout = 30_000): Promise<void> => {
    try {
      await page.waitForSelector(selector, { timeout });
    } catch (error) {
      const cameras = await (await fetch(`${vigil.url}/api/cameras`)).text();
      const tiles = await page.locator('[data-camera]').evaluateAll((els) => els.map((el) => el.outerHTML.slice(0, 300)));
      const log = vigil.child.lastLines().slice(-15).map((line) => line.text).join('\n');
      throw new Error(`${(error as Error).message}\nAPI: ${cameras}\ntiles: ${tiles.join('\n')}\nlog:\n${log}`);
    }
  };
  const tile = (camera: string) => page.locator(`[data-camera="${camera}"]`);
  const stat = async (camera: string, name: string): Promise<string> =>
    (await tile(camera).locator(`[data-stat="${name}"]`).getAttribute('data-value')) ?? '';

  test('a camera tile shows live frames that are not black', async () => {
    await waitForTile('[data-camera="yard"][data-state="live"]');
    await page.waitForFunction(() => Number(document.querySelector('[data-camera="yard"]')?.getAttribute('data-frames')) > 5, undefined, { timeout: 30_000 });
    const brightness = await tile('yard')
      .locator('canvas.frame')
      .evaluate((canvas: HTMLCanvasElement) => {
        const context = canvas.getContext('2d')!;
        const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
        let sum = 0;
        for (let i = 0; i < data.length; i += 4) sum += data[i]! + data[i + 1]! + data[i + 2]!;
        return sum / (data.length / 4) / 3;
      });
    assert.ok(brightness > 30, `mean brightness ${brightness.toFixed(1)} of 255: the tile is not black`);
    await page.screenshot({ path: join(shots, 'web-page-live.png') });
  });

  test('the figures are shown and change while frames arrive', async () => {
    const read = async () => ({
      frames: Number(await tile('yard').getAttribute('data-frames')),
      fps: Number(await stat('yard', 'fps')),
      bitrate: Number(await stat('yard', 'bitrate')),
      ratio: Number(await stat('yard', 'ratio')),
      latency: Number(await stat('yard', 'latency')),
      throughput: Number(await stat('yard', 'throughput')),
    });
    await page.waitForFunction(() => Number(document.querySelector('[data-camera="yard"] [data-stat="fps"]')?.getAttribute('data-value')) > 0, undefined, { timeout: 15_000 });
    const first = await read();
    await page.waitForFunction((n) => Number(document.querySelector('[data-camera="yard"]')?.getAttribute('data-frames')) > n + 20, first.frames, { timeout: 15_000 });
    await page.waitForTimeout(1100); // the figures refresh once a second
    const second = await read();
    for (const [name, value] of Object.entries(second)) assert.ok(value > 0, `${name} is positive (${value})`);
    assert.ok(second.ratio > 1, 'JPEG is smaller than raw BGR');
    assert.notDeepEqual(first, second, 'the figures changed');
  });

  test('a camera that stops turns black with an "offline" label, the other stays live', async () => {
    await waitForTile('[data-camera="gate"][data-state="live"]');
    await rtsp.stop();
    await waitForTile('[data-camera="yard"][data-state="offline"]');
    assert.match((await tile('yard').innerText()).toLowerCase(), /offline/);
    const gateFrames = Number(await tile('gate').getAttribute('data-frames'));
    await page.waitForFunction((n) => Number(document.querySelector('[data-camera="gate"]')?.getAttribute('data-frames')) > n + 5, gateFrames, { timeout: 15_000 });
    assert.equal(await tile('gate').getAttribute('data-state'), 'live');
    await page.screenshot({ path: join(shots, 'web-page-offline.png') });
  });
});
