/**
 * The browser harness: the all-in-one system started in-process by the end-to-end harness
 * (test/e2e/system.ts: real gateway, real embedded PostgreSQL) with the web app built and served,
 * and Debian's Chromium driven through playwright-core. Chromium gets a fresh profile each time and
 * the flags that keep it off this machine's closed network.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ensureWebApp } from '../../cli/src/web-app.ts';
import { startSystem, type System } from '../../../test/e2e/system.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The declined test card of the payment provider simulator (services/payments, README). */
export const DECLINED_CARD = '4000000000000002';
export const GOOD_CARD = '4242424242424242';

export interface Browser {
  system: System;
  context: BrowserContext;
  page: Page;
  stop(): Promise<void>;
}

/** Starts the system (serving the freshly built app) and a browser with one page at `width`×`height`. */
export async function startBrowser(options: { width?: number; height?: number; settings?: Record<string, string> } = {}): Promise<Browser> {
  const webApp = ensureWebApp();
  if (!webApp) throw new Error('the web app could not be built (see above)');
  const system = await startSystem({ WEB_APP_DIR: webApp, ...options.settings });
  const profile = await mkdtemp(join(tmpdir(), 'simplebank-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: options.width ?? 1100, height: options.height ?? 800 },
      baseURL: system.url,
    });
  } catch (err) {
    await system.stop();
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    system,
    context,
    page,
    async stop() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
      await system.stop();
    },
  };
}

/** A customer unique to this run (the shared e2e database may hold earlier ones). */
export function newCustomer(): { name: string; email: string; password: string } {
  const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  return { name: 'Ann Browser', email: `ann-${tag}@example.com`, password: 'correct-horse-battery' };
}

/** Signs up through the form, as a person would. */
export async function signUp(page: Page, customer = newCustomer()): Promise<typeof customer> {
  await page.goto('/signup');
  await page.getByLabel('Name').fill(customer.name);
  await page.getByLabel('Email').fill(customer.email);
  await page.getByLabel('Password').fill(customer.password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('heading', { name: 'Accounts' }).waitFor();
  return customer;
}

/** Opens an account through the form. */
export async function openAccount(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name: 'Open account' }).click();
  await page.getByLabel('Account name').fill(name);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await page.getByRole('heading', { name }).waitFor();
}

/** Deposits by card into the (only) account and waits for the payment's final status. */
export async function deposit(page: Page, amount: string, card: string): Promise<string> {
  await page.getByRole('button', { name: 'Deposit' }).click();
  await page.getByLabel('Amount').fill(amount);
  await page.getByLabel('Card number').fill(card);
  await page.getByRole('button', { name: 'Confirm deposit' }).click();
  const status = page.getByRole('status');
  await status.filter({ hasText: /completed|Declined|Failed/ }).waitFor({ timeout: 20_000 });
  return (await status.textContent()) ?? '';
}
