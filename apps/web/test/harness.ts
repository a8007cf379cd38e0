/**
 * The browser harness: the all-in-one system started in-process by the end-to-end harness
 * (test/e2e/system.ts: real gateway, real embedded PostgreSQL) with the web app built and served,
 * and Debian's Chromium driven through playwright-core. Chromium gets a fresh profile each time and
 * the flags that keep it off this machine's closed network.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryTransport, startAllInOne } from '@simplebank/chassis';
import { stopPrivateServer, testServerUrl } from '@simplebank/chassis/testing';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { services } from '../../cli/src/services.ts';
import { ensureWebApp } from '../../cli/src/web-app.ts';
import { E2E_SETTINGS } from '../../../test/e2e/settings.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, Http, startSystem, type System } from '../../../test/e2e/system.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The declined test card of the payment provider simulator (services/payments, README). */
export const DECLINED_CARD = '4000000000000002';
export const GOOD_CARD = '4242424242424242';

export interface Browser {
  system: System;
  /** The system's message transport, when started with `transport: true` (to inject a message). */
  transport?: MemoryTransport;
  context: BrowserContext;
  page: Page;
  stop(): Promise<void>;
}

/**
 * The all-in-one system in-process as test/e2e/system.ts starts it, but on a transport the test
 * holds: a test can then put a message on it, as a misbehaving producer would (the public API only
 * ever sends valid ones).
 */
async function startWithTransport(
  settings: Record<string, string>,
): Promise<{ system: System; transport: MemoryTransport }> {
  const transport = new MemoryTransport();
  const all = await startAllInOne({
    services,
    environment: {
      ...process.env,
      DATABASE_URL: await testServerUrl(),
      SIMPLEBANK_DB_PREFIX: `web_${randomBytes(4).toString('hex')}`,
      PORT: '0',
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'silent',
      ...E2E_SETTINGS,
      ...settings,
    },
    runtime: { transport },
  });
  const url = all.runtime.address;
  const stop = async () => {
    await all.stop();
    await stopPrivateServer();
  };
  return { system: { url, http: new Http(url), stop }, transport };
}

/** Starts the system (serving the freshly built app) and a browser with one page at `width`×`height`. */
export async function startBrowser(
  options: { width?: number; height?: number; settings?: Record<string, string>; transport?: boolean } = {},
): Promise<Browser> {
  const webApp = ensureWebApp();
  if (!webApp) throw new Error('the web app could not be built (see above)');
  const settings = { WEB_APP_DIR: webApp, ...options.settings };
  const started = options.transport
    ? await startWithTransport(settings)
    : { system: await startSystem(settings), transport: undefined };
  const { system } = started;
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
    ...(started.transport ? { transport: started.transport } : {}),
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
  // The page's own status (the header's "Live" is one too).
  const status = page
    .locator('main')
    .getByRole('status')
    .filter({ hasText: /completed|Declined|Failed/ });
  await status.waitFor({ timeout: 20_000 });
  return (await status.textContent()) ?? '';
}

/** The development admin (test/e2e's ADMIN_EMAIL / ADMIN_PASSWORD: SIMPLEBANK_ADMIN_* or their defaults). */
export async function logInAsAdmin(page: Page): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(ADMIN_EMAIL);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).waitFor();
}
