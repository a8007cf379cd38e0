/**
 * `npm run screenshots`: the main pages as docs/screenshots/*.png (shown in the README), taken with
 * the browser harness after a customer signs up, deposits and buys — so the pages show real data.
 * Desktop width, plus the order page at phone width.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { GOOD_CARD, deposit, openAccount, signUp, startBrowser } from './harness.ts';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'screenshots');
await mkdir(out, { recursive: true });

const shot = async (page: Page, name: string) => {
  await page.screenshot({ path: join(out, `${name}.png`), fullPage: true });
  console.log(`docs/screenshots/${name}.png`);
};

const browser = await startBrowser({ width: 1000, height: 700 });
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
  await page.getByRole('row', { name: /^AAPL/ }).waitFor();
  await shot(page, 'holdings');
  await nav.getByRole('link', { name: 'Notifications' }).click();
  await page.getByRole('heading', { name: /Order filled/ }).waitFor({ timeout: 20_000 });
  await shot(page, 'notifications');
} finally {
  await browser.stop();
}
