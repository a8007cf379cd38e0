/**
 * `npm run screenshots`: the main pages as docs/screenshots/*.png (shown in the README), taken with
 * the browser harness after a customer signs up, deposits and buys — so the pages show real data.
 * Desktop width, plus the order page at phone width. Then the admin's pages, with a dead letter
 * put on the transport (as admin.browser.ts does) so that its page has one to show. The price feed
 * runs (every second, unlike the test suites' frozen one) so that the price charts have a line.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { newEnvelope } from '@simplebank/chassis';
import { GOOD_CARD, deposit, logInAsAdmin, openAccount, signUp, startBrowser } from './harness.ts';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'screenshots');
await mkdir(out, { recursive: true });

const shot = async (page: Page, name: string) => {
  await page.screenshot({ path: join(out, `${name}.png`), fullPage: true });
  console.log(`docs/screenshots/${name}.png`);
};

const browser = await startBrowser({ width: 1000, height: 700, transport: true, settings: { PRICE_TICK_MS: '1000' } });
try {
  const { page } = browser;
  await page.goto('/signup');
  await page.getByRole('button', { name: 'Sign up' }).waitFor();
  await shot(page, 'sign-up');
  await signUp(page);
  await openAccount(page, 'Main');
  await deposit(page, '1000.00', GOOD_CARD);
  await shot(page, 'accounts');

  const nav = page.getByRole('navigation');
  await nav.getByRole('link', { name: 'Trade' }).click();
  await page.getByRole('combobox', { name: 'Asset' }).fill('AAPL');
  await page.getByRole('option', { name: /AAPL/ }).click();
  // A line of a few points (the chart's spans are 4.5 s).
  await page.getByRole('img', { name: /^AAPL price, ([5-9]|\d{2,}) points/ }).waitFor({ timeout: 90_000 });
  await page.getByLabel('Quantity').fill('2');
  await page.getByRole('button', { name: 'Review order' }).click();
  await page.getByRole('button', { name: 'Place order' }).waitFor();
  await shot(page, 'trade-review');
  await page.getByRole('button', { name: 'Place order' }).click();
  await page.locator('main').getByText('Filled', { exact: true }).first().waitFor({ timeout: 20_000 });
  await shot(page, 'order');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'order-phone');
  await page.setViewportSize({ width: 1000, height: 700 });

  await nav.getByRole('link', { name: 'Holdings' }).click();
  await page
    .getByRole('row', { name: /^AAPL/ })
    .getByRole('img', { name: /^AAPL price/ })
    .waitFor();
  await shot(page, 'holdings');
  await nav.getByRole('link', { name: 'Notifications' }).click();
  await page.getByRole('heading', { name: /Order filled/ }).waitFor({ timeout: 20_000 });
  await shot(page, 'notifications');

  await page.getByRole('button', { name: 'Log out' }).click();
  await logInAsAdmin(page);
  const main = page.getByRole('navigation', { name: 'Main' });
  await main.getByRole('link', { name: 'Admin' }).click();
  await page.getByText('Balanced: every asset sums to zero').waitFor();
  await page
    .getByRole('status')
    .filter({ hasText: /^The exchange now: / })
    .waitFor();
  await shot(page, 'admin');

  const type = 'customers.CustomerUpdated.v1';
  const envelope = newEnvelope({ type, version: 1, source: 'screenshots', data: { customerId: 42 } });
  await browser.transport!.publish({
    destination: { kind: 'event', type },
    messageId: envelope.id,
    body: JSON.stringify(envelope),
  });
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Dead letters' }).click();
  const inspect = page.getByRole('button', { name: `Inspect ${type}` });
  for (let i = 0; i < 40 && (await inspect.count()) === 0; i++) {
    await page.getByRole('button', { name: 'Refresh dead letters' }).click();
    await page.waitForTimeout(250);
  }
  await inspect.click();
  await shot(page, 'dead-letters');

  await main.getByRole('link', { name: 'Operations' }).click();
  await page.getByRole('row', { name: /^market exchange / }).waitFor();
  // The golden signals' charts once a few readings (2 s apart) are in.
  await page
    .getByRole('img', { name: /^gateway requests per second, ([4-9]|\d{2,}) points/ })
    .waitFor({ timeout: 30_000 });
  await shot(page, 'operations');
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Sagas' }).click();
  await page.getByRole('link', { name: /Buy 2 AAPL/ }).click();
  await page.getByRole('heading', { level: 2, name: 'Timeline' }).waitFor();
  await shot(page, 'saga');
} finally {
  await browser.stop();
}
