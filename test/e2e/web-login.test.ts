/**
 * Signing in on the web page, in headless Chromium against the all-in-one process: the page opens on the sign-in
 * screen, a wrong password says so, a viewer scoped to one camera sees only that camera and no admin control, an
 * admin sees the add-camera control and can add one, and signing out returns to the sign-in screen. Screenshots go
 * to test-results/.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ensureUser, findRepoFile, startRedisServer, startVigil, type RedisServerHandle, type VigilHandle } from '../../scripts/support';
import { launchChromium, signInOnPage, TEST_ADMIN } from '../support/browser';

const VIEWER = { username: 'gatekeeper', password: 'gatekeeper-pass-1', role: 'viewer' as const, cameras: ['gate'] };

describe('the web page: signing in and out', { timeout: 180_000 }, () => {
  let redis: RedisServerHandle;
  let vigil: VigilHandle;
  let browser: Browser;
  const shots = join(findRepoFile('package.json'), '..', 'test-results');
  const shoot = (page: Page, name: string) => page.screenshot({ path: join(shots, `web-login-${name}.png`) });

  before(async () => {
    await mkdir(shots, { recursive: true });
    redis = await startRedisServer();
    vigil = await startVigil({
      redisUrl: redis.url,
      cameras: [
        { id: 'gate', name: 'Gate', url: 'test://ball', width: 320, height: 180, fps: 5 },
        { id: 'dock', name: 'Dock', url: 'test://smpte', width: 320, height: 180, fps: 5 },
      ],
    });
    await ensureUser(vigil.url, vigil.adminToken, VIEWER);
    await ensureUser(vigil.url, vigil.adminToken, TEST_ADMIN);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await vigil?.stop();
    await redis?.stop();
  });

  test('the page opens on the sign-in screen; a wrong password is refused with a message', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await page.goto(vigil.url);
      await page.waitForSelector('body[data-auth="out"]');
      assert.equal(await page.locator('#grid').isVisible(), false, 'no camera shows before signing in');
      await page.locator('#login-form input[name="username"]').fill(VIEWER.username);
      await page.locator('#login-form input[name="password"]').fill('not the password');
      await page.locator('#login-form button[type="submit"]').click();
      await page.locator('#login-error').waitFor({ state: 'visible' });
      assert.equal(await page.locator('#login-error').innerText(), 'wrong user name or password');
      await shoot(page, 'refused');
    } finally {
      await page.close();
    }
  });

  test('a viewer scoped to the gate sees the gate only, who is signed in, no admin control; signing out ends it', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await page.goto(vigil.url);
      await signInOnPage(page, VIEWER);
      await page.locator('.tile[data-camera="gate"][data-state="live"]').waitFor({ timeout: 30_000 });
      assert.deepEqual(await page.locator('.tile').evaluateAll((tiles) => tiles.map((tile) => tile.getAttribute('data-camera'))), ['gate']);
      assert.equal(await page.locator('#whoami-name').textContent(), 'gatekeeper');
      assert.equal(await page.locator('#whoami-role').textContent(), 'viewer');
      assert.equal(await page.locator('#add-camera').isVisible(), false);
      await shoot(page, 'viewer');
      await page.locator('#sign-out').click();
      await page.waitForSelector('body[data-auth="out"]');
      const me = await page.evaluate(async () => (await fetch('api/auth/me')).status);
      assert.equal(me, 401, 'the session is over on the server too');
      await shoot(page, 'signed-out');
    } finally {
      await page.close();
    }
  });

  test('an admin sees the add-camera control and adds a camera with it; a bad one is refused with the reason', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await page.goto(vigil.url);
      await signInOnPage(page, TEST_ADMIN);
      await page.locator('#add-camera').click();
      const form = page.locator('#add-camera-form');
      await form.locator('input[name="id"]').fill('meta');
      await form.locator('input[name="url"]').fill('http://169.254.169.254/latest/meta-data/');
      await form.locator('button[type="submit"]').click();
      await page.locator('#add-camera-error').waitFor({ state: 'visible' });
      assert.match(await page.locator('#add-camera-error').innerText(), /^url: 169\.254\.169\.254 is in 169\.254\.0\.0\/16/);
      await form.locator('input[name="id"]').fill('yard');
      await form.locator('input[name="name"]').fill('Yard');
      await form.locator('input[name="url"]').fill('test://snow');
      await form.locator('button[type="submit"]').click();
      await page.locator('#add-camera-dialog').waitFor({ state: 'hidden' });
      await page.locator('.tile[data-camera="yard"]').waitFor({ timeout: 15_000 });
      await shoot(page, 'admin');
    } finally {
      await page.close();
    }
  });
});
