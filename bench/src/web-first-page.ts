/**
 * The web app's first page as a person opening it meets it (issue 12: "the first page is
 * interactive within a second on this machine"). Chromium (Debian's, through playwright-core, as
 * the browser suite drives it) loads `/` from the running gateway in a fresh context (cold cache),
 * and the page itself notes when the log-in form's button can be pressed (`performance.now()`, from
 * navigation start). The reference, measured the same way in the same run: a page of one button
 * from a bare `node:http` server on loopback — what this browser on this machine needs for any page.
 * Null when Chromium is not installed (the bench then says so).
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The browser suite's flags (apps/web/test/harness.ts): without the background-networking ones, Chromium calls out. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface FirstPage {
  loads: number;
  /** Median ms from navigation start until "Log in" can be pressed. */
  appMs: number;
  /** The same for the one-button page: the browser's floor. */
  floorMs: number;
  /** appMs ÷ floorMs. */
  ratio: number;
}

const FLOOR_PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>floor</title></head><body><button type="button">Log in</button></body></html>';

/**
 * Evaluated in the page on every frame: performance.now() once a "Log in" button is there and
 * enabled, else null. A string, as this package is type-checked without the DOM's types.
 */
const LOGIN_READY = `(() => {
  const button = [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Log in' && !b.disabled);
  return button ? performance.now() : null;
})()`;

async function timeLoads(browser: Browser, url: string, loads: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < loads; i++) {
    // bypassCSP: the gateway's CSP (script-src 'self') refuses the evaluated probe below; it changes
    // nothing the page loads.
    const context = await browser.newContext({ bypassCSP: true });
    try {
      const page = await context.newPage();
      await page.goto(url, { waitUntil: 'commit' });
      const handle = await page.waitForFunction(LOGIN_READY, undefined, { polling: 'raf', timeout: 30_000 });
      times.push((await handle.jsonValue()) as number);
    } finally {
      await context.close();
    }
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)]! * 10) / 10;
}

export async function measureFirstPage(gatewayUrl: string, loads: number): Promise<FirstPage | null> {
  if (!existsSync(CHROMIUM)) return null;
  const floor = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(FLOOR_PAGE),
  );
  await new Promise<void>((resolve) => floor.listen(0, '127.0.0.1', resolve));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  try {
    // One load of each first, not counted: the browser's own start-up is not the page's.
    await timeLoads(browser, `http://127.0.0.1:${(floor.address() as AddressInfo).port}/`, 1);
    await timeLoads(browser, gatewayUrl, 1);
    const floorMs = await timeLoads(browser, `http://127.0.0.1:${(floor.address() as AddressInfo).port}/`, loads);
    const appMs = await timeLoads(browser, gatewayUrl, loads);
    return { loads, appMs, floorMs, ratio: floorMs > 0 ? Math.round((appMs / floorMs) * 100) / 100 : 0 };
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => floor.close(() => resolve()));
  }
}
