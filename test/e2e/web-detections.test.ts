/**
 * Detections on the web page, in a real headless Chromium (Debian's, driven by playwright-core)
 * against the all-in-one process (ingest, inference, publish) and a real redis-server: the motion
 * detector on a moving test pattern, its boxes drawn by the page over the live frames, and the
 * tile's toggle to the server's annotated stream (boxes burnt in) and back.
 * Screenshots land in test-results/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { findRepoFile, startRedisServer, startVigil, type RedisServerHandle, type VigilHandle } from '../../scripts/support';
import { launchChromium, signedInPage, signInOnPage } from '../support/browser';


const WHOLE_FRAME = { id: 'all', polygon: [[0, 0], [1, 0], [1, 1], [0, 1]] as [number, number][] };

describe('detections on the web page in headless Chromium', { timeout: 120_000 }, () => {
  let redis: RedisServerHandle;
  let vigil: VigilHandle;
  let browser: Browser;
  let page: Page;
  const shots = join(findRepoFile('package.json'), '..', 'test-results');
  /** frame events the page received over its WebSocket, per stream (from Socket.IO's text header packets) */
  const framesByStream = new Map<string, number>();

  before(async () => {
    mkdirSync(shots, { recursive: true });
    redis = await startRedisServer();
    vigil = await startVigil({
      redisUrl: redis.url,
      cameras: [
        {
          id: 'yard',
          name: 'Yard',
          url: 'test://ball',
          width: 640,
          height: 360,
          fps: 10,
          // the moving ball is motion
          detect: { detector: 'motion', zones: [WHOLE_FRAME], rules: [{ id: 'intrusion', kind: 'intrusion', classes: ['motion'], zone: 'all' }] },
        },
      ],
    });
    browser = await launchChromium();
    page = await signedInPage(browser, vigil.url, vigil.adminToken, {
      prepare: (page) =>
        page.on('websocket', (ws) => {
          ws.on('framereceived', ({ payload }) => {
            if (typeof payload !== 'string' || !payload.includes('"frame"')) return;
            const stream = /"stream":"(\w+)"/.exec(payload)?.[1];
            if (stream) framesByStream.set(stream, (framesByStream.get(stream) ?? 0) + 1);
          });
        }),
    });
  });

  after(async () => {
    await browser?.close();
    await vigil?.stop();
    await redis?.stop();
  });

  const tile = () => page.locator('[data-camera="yard"]');
  const attr = async (selector: string, name: string): Promise<string> => (await page.locator(selector).getAttribute(name)) ?? '';

  /** Waits for a condition in the page; on timeout the error carries what the API, the tile and the log said. */
  const waitInPage = async (what: string, fn: (arg: number) => boolean, arg = 0, timeout = 30_000): Promise<void> => {
    try {
      await page.waitForFunction(fn, arg, { timeout });
    } catch (error) {
      const cameras = await (await fetch(`${vigil.url}/api/cameras`)).text();
      const html = await tile()
        .evaluate((el) => el.outerHTML.replace(/\s+/g, ' ').slice(0, 1500))
        .catch(() => '(no tile)');
      const log = vigil.child.lastLines().slice(-20).map((line) => line.text).join('\n');
      throw new Error(`${what}: ${(error as Error).message}\nAPI: ${cameras}\ntile: ${html}\nlog:\n${log}`);
    }
  };
  const frames = async (): Promise<number> => Number(await attr('[data-camera="yard"]', 'data-frames'));

  test('the tile of a camera with detection shows the stream toggle, on "boxes"', async () => {
    await waitInPage('yard live', () => document.querySelector('[data-camera="yard"]')?.getAttribute('data-state') === 'live');
    assert.equal(await attr('[data-camera="yard"]', 'data-detect'), 'true');
    assert.equal(await attr('[data-camera="yard"]', 'data-stream'), 'raw');
    const toggle = tile().locator('button[data-action="toggle-stream"]');
    assert.ok(await toggle.isVisible(), 'the toggle is shown');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
  });

  test('the overlay draws the boxes of the detections events over the live frames', async () => {
    await waitInPage('boxes drawn', () => Number(document.querySelector('[data-camera="yard"] canvas.overlay')?.getAttribute('data-boxes')) > 0, 0, 45_000);
    // the boxes are really on the overlay canvas: some of its pixels are opaque in a class colour
    const painted = await tile()
      .locator('canvas.overlay')
      .evaluate((canvas: HTMLCanvasElement) => {
        const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        let opaque = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 200) opaque++;
        return { opaque, width: canvas.width, height: canvas.height };
      });
    assert.ok(painted.width > 0 && painted.height > 0, 'the overlay has a size');
    assert.ok(painted.opaque > 50, `box outlines and labels are drawn (${painted.opaque} opaque pixels)`);
    // the figure on the tile: detections in the newest result and inference time
    await waitInPage(
      'inference time shown',
      () => {
        const value = document.querySelector('[data-camera="yard"]')?.getAttribute('data-inference-ms');
        return value != null && value !== '' && Number(value) >= 0;
      },
      0,
      10_000,
    );
    assert.match(await attr('[data-camera="yard"]', 'data-detections'), /^\d+$/);
    assert.match(await tile().locator('.det-chip').innerText(), /\d+ det\s*·\s*[\d.]+ ms/);
    await page.waitForFunction(() => Number(document.querySelector('[data-camera="yard"] canvas.overlay')?.getAttribute('data-boxes')) > 0, 0, { timeout: 10_000 });
    await page.screenshot({ path: join(shots, 'web-detections-boxes.png') });
  });

  test('the toggle switches the tile to the annotated stream and frames keep coming', async () => {
    await tile().locator('button[data-action="toggle-stream"]').click();
    assert.equal(await attr('[data-camera="yard"]', 'data-stream'), 'annotated');
    assert.equal(await attr('[data-camera="yard"] button[data-action="toggle-stream"]', 'aria-pressed'), 'true');
    await waitInPage('subscribed to the annotated stream', () => document.querySelector('[data-camera="yard"]')?.getAttribute('data-subscription') === 'ok', 0, 10_000);
    const annotatedBefore = framesByStream.get('annotated') ?? 0;
    const drawn = await frames();
    await waitInPage('frames keep coming', (n) => Number(document.querySelector('[data-camera="yard"]')?.getAttribute('data-frames')) > n + 15, drawn);
    assert.ok((framesByStream.get('annotated') ?? 0) > annotatedBefore + 10, `annotated frames reach the page (${JSON.stringify([...framesByStream])})`);
    assert.equal(await attr('[data-camera="yard"]', 'data-state'), 'live');
    assert.equal(await attr('[data-camera="yard"]', 'data-stream'), 'annotated');
    // the boxes are burnt into the picture: the overlay draws none and is hidden
    assert.equal(await attr('[data-camera="yard"] canvas.overlay', 'data-boxes'), '0');
    assert.equal(await tile().locator('canvas.overlay').evaluate((el) => getComputedStyle(el).visibility), 'hidden');
    // the raw stream was unsubscribed: no raw frames any more
    const rawBefore = framesByStream.get('raw') ?? 0;
    await page.waitForTimeout(1500);
    assert.equal(framesByStream.get('raw') ?? 0, rawBefore, 'no raw frames after the switch');
    await page.screenshot({ path: join(shots, 'web-detections-annotated.png') });
  });

  test('the toggle switches back to the raw stream with the overlay', async () => {
    await tile().locator('button[data-action="toggle-stream"]').click();
    assert.equal(await attr('[data-camera="yard"]', 'data-stream'), 'raw');
    const rawBefore = framesByStream.get('raw') ?? 0;
    const drawn = await frames();
    await waitInPage('frames keep coming', (n) => Number(document.querySelector('[data-camera="yard"]')?.getAttribute('data-frames')) > n + 10, drawn);
    assert.ok((framesByStream.get('raw') ?? 0) > rawBefore, 'raw frames again');
    await waitInPage('boxes drawn again', () => Number(document.querySelector('[data-camera="yard"] canvas.overlay')?.getAttribute('data-boxes')) > 0, 0, 15_000);
    assert.equal(await attr('[data-camera="yard"]', 'data-state'), 'live');
  });
});
