import { chromium, type Browser, type Page } from 'playwright-core';
import { ensureUser, type SignIn } from '../../scripts/support';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// as root, in a closed network: no sandbox, and none of Chromium's background connections
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Debian's headless Chromium (CHROMIUM_PATH to use another), driven by playwright-core. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** The user a browser test signs in as unless it says otherwise (made, or its password reset, through the API). */
export const TEST_ADMIN = { username: 'operator', password: 'test-password-1234', role: 'admin' as const };

/**
 * A page of the vigil at `url`, signed in through the sign-in screen as a person would: the user is made (or its
 * password set) with the admin token first. `account` picks another role or a camera scope.
 */
export async function signedInPage(
  browser: Browser,
  url: string,
  adminToken: string,
  options: {
    viewport?: { width: number; height: number };
    account?: SignIn & { role: 'admin' | 'viewer'; cameras?: string[] };
    /** runs on the new page before it opens (listeners that must see everything) */
    prepare?: (page: Page) => unknown;
  } = {},
): Promise<Page> {
  const account = options.account ?? TEST_ADMIN;
  await ensureUser(url, adminToken, account);
  const page = await browser.newPage({ viewport: options.viewport ?? { width: 1280, height: 800 } });
  await options.prepare?.(page);
  await page.goto(url);
  await signInOnPage(page, account);
  return page;
}

/** Fills the sign-in screen and waits for the live view. */
export async function signInOnPage(page: Page, account: SignIn): Promise<void> {
  await page.locator('#login-form input[name="username"]').fill(account.username);
  await page.locator('#login-form input[name="password"]').fill(account.password);
  await page.locator('#login-form button[type="submit"]').click();
  await page.waitForSelector('body[data-auth="in"]', { timeout: 15_000 });
}
