/**
 * The admin's and the operator's side in a real browser, by role and accessible name (issue 12):
 * a dead letter inspected, replayed and discarded; the exchange's circuit breaker seen opening when
 * the exchange is set failing, and closing again once it is open.
 *
 * The public API only ever sends valid messages, so the dead letter is made the way a misbehaving
 * producer would: a message its consumer cannot take, put on the system's transport. The breaker's
 * back-off is set to 4 s so that "Open" stays on screen longer than one 2 s refresh.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { newEnvelope } from '@simplebank/chassis';
import { Bank } from '../../../test/e2e/system.ts';
import { logInAsAdmin, startBrowser, type Browser } from './harness.ts';

/** notifications is this event's only consumer, so it makes exactly one dead letter. */
const TYPE = 'customers.CustomerUpdated.v1';

let browser: Browser;
before(async () => {
  browser = await startBrowser({
    transport: true,
    settings: {
      EXCHANGE_BREAKER_MIN_CALLS: '2',
      EXCHANGE_BREAKER_HALF_OPEN_MS: '4000',
      EXCHANGE_BREAKER_MAX_HALF_OPEN_MS: '4000',
    },
  });
});
after(async () => {
  await browser?.stop();
});

test('admins see "Admin" and "Operations" in the navigation, and the admin page shows the trial balance, fees, strategies and simulation', async () => {
  const { page } = browser;
  await logInAsAdmin(page);
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Operations' }).waitFor();
  await nav.getByRole('link', { name: 'Admin' }).click();
  await page.getByRole('heading', { level: 1, name: 'Admin' }).waitFor();
  for (const heading of ['Trial balance', 'Fee schedule', 'Strategies', 'Simulation'])
    await page.getByRole('heading', { level: 2, name: heading }).waitFor();
  await page.getByText('Balanced: every asset sums to zero').waitFor();
  // The exchange's current settings, read: the suite starts it open, filling after 50 ms.
  await page
    .getByRole('status')
    .filter({ hasText: /^The exchange now: Open: 0 ms per call, failure rate 0, fills after 50 ms\.$/ })
    .waitFor();
  assert.equal(await page.getByRole('radio', { name: 'Open', exact: true }).isChecked(), true);

  // Allocations that do not sum to 100: the API's problem is shown next to the allocations.
  await page.getByLabel('Strategy name').fill('Lopsided');
  await page.getByLabel('Asset 1', { exact: true }).fill('AAPL');
  await page.getByLabel('Percentage 1', { exact: true }).fill('60');
  await page.getByLabel('Asset 2', { exact: true }).fill('MSFT');
  await page.getByLabel('Percentage 2', { exact: true }).fill('30');
  await page.getByRole('button', { name: 'Create strategy' }).click();
  await page.getByText(/sum to exactly 100/).waitFor();
  await page.getByLabel('Percentage 2', { exact: true }).fill('40');
  await page.getByRole('button', { name: 'Create strategy' }).click();
  await page.getByRole('row', { name: /Lopsided AAPL 60\.00 %, MSFT 40\.00 %/ }).waitFor();
});

test('an admin inspects a dead letter (its message too), replays it (refused again: the outcome is shown), then discards it and the row goes away', async () => {
  const { page, transport } = browser;
  assert.ok(transport, 'started with its transport');
  const envelope = newEnvelope({
    type: TYPE,
    version: 1,
    source: 'browser-test',
    data: { customerId: 42, note: 'not a customer update' },
  });
  await transport.publish({
    destination: { kind: 'event', type: TYPE },
    messageId: envelope.id,
    body: JSON.stringify(envelope),
  });

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Dead letters' }).click();
  await page.getByRole('heading', { level: 1, name: 'Dead letters' }).waitFor();
  const row = page.getByRole('row', { name: new RegExp(`^${TYPE.replace(/\./g, '\\.')} notifications`) });
  // The consumer dead-letters it moments after the publish: look again until it is listed.
  for (let i = 0; i < 40 && (await row.count()) === 0; i++) {
    await page.getByRole('button', { name: 'Refresh dead letters' }).click();
    await page.waitForTimeout(250);
  }
  await row.waitFor();

  await page.getByRole('button', { name: `Inspect ${TYPE}` }).click();
  const details = page.getByRole('definition').filter({ hasText: `data does not match ${TYPE}` });
  await details.waitFor();
  assert.match((await details.textContent()) ?? '', /customerId/);
  // The message as it arrived: its data, for the admin to see why.
  const message = page.getByLabel('Message', { exact: true });
  await message.waitFor();
  assert.match((await message.textContent()) ?? '', /"note": "not a customer update"/);

  await page.getByRole('button', { name: `Replay ${TYPE}` }).click();
  await page
    .getByRole('alert')
    .filter({ hasText: /Replay failed/ })
    .waitFor();
  await row.getByRole('cell', { name: '2', exact: true }).waitFor();

  await page.getByRole('button', { name: `Discard ${TYPE}` }).click();
  await page
    .getByRole('status')
    .filter({ hasText: `Discarded ${TYPE}` })
    .waitFor();
  await page.getByText('No dead letters.').waitFor();
  assert.equal(await row.count(), 0);
});

test('the operations console shows the exchange breaker opening when the exchange is set failing, and closing when it is open again; an admin forces it open and releases it', async () => {
  const { page, system } = browser;
  const bank = new Bank(system.http);
  const { customer, account } = await bank.fundedCustomer('20000.00');
  const order = () => bank.placeOrder(customer, { accountId: account.id, assetId: 'AAPL', side: 'buy', quantity: '1' });
  const nav = page.getByRole('navigation', { name: 'Main' });

  const setExchange = async (mode: 'Failing' | 'Open') => {
    await nav.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('radio', { name: mode, exact: true }).check();
    await page.getByRole('button', { name: 'Set exchange' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: mode === 'Failing' ? /failure rate 1\b/ : /failure rate 0\b/ })
      .waitFor();
  };
  /** Orders keep calling the exchange (the breaker only changes on calls) until `done`. */
  const keepOrdering = (done: { value: boolean }) =>
    (async () => {
      while (!done.value) {
        // A refused order (the system under strain) changes nothing here: the next one tries again.
        await order().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 1500));
      }
    })();

  await nav.getByRole('link', { name: 'Operations' }).click();
  const services = page.getByRole('table').filter({ has: page.getByRole('columnheader', { name: 'Readiness' }) });
  // A row per service, each asked itself (GET /v1/admin/readiness), each ready.
  const every = [
    'accounts',
    'customers',
    'exchange',
    'fees',
    'gateway',
    'holdings',
    'market',
    'market-data',
    'notifications',
    'orders',
    'payments',
    'reporting',
    'strategies',
    'strategy-orders',
    'transactions',
  ];
  for (const service of every) await services.getByRole('row', { name: new RegExp(`^${service} Ready `) }).waitFor();
  assert.equal(await services.getByRole('row').count(), every.length + 1, 'a header row and a row per service');
  // The golden signals: a row per service, its request rate charted once two readings are in.
  const signals = page.getByRole('table').filter({ has: page.getByRole('columnheader', { name: 'Requests/s' }) });
  await signals.getByRole('img', { name: /^gateway requests per second, \d+ points?, / }).waitFor();
  assert.equal(await signals.getByRole('row').count(), every.length + 1, 'a header row and a row per service');
  const breaker = page.getByRole('row', { name: /^market exchange / });
  await breaker.getByRole('cell', { name: 'Closed', exact: true }).waitFor();

  await setExchange('Failing');
  await nav.getByRole('link', { name: 'Operations' }).click();
  const failing = { value: false };
  const ordering = keepOrdering(failing);
  try {
    await breaker.getByRole('cell', { name: 'Open', exact: true }).waitFor({ timeout: 30_000 });
  } finally {
    failing.value = true;
    await ordering;
  }

  await setExchange('Open');
  await nav.getByRole('link', { name: 'Operations' }).click();
  const healed = { value: false };
  const probing = keepOrdering(healed);
  try {
    await breaker.getByRole('cell', { name: 'Closed', exact: true }).waitFor({ timeout: 30_000 });
  } finally {
    healed.value = true;
    await probing;
  }

  // An admin sheds the exchange on purpose, then gives the breaker back to its automatic control.
  await page.getByRole('button', { name: 'Force open market → exchange' }).click();
  await breaker.getByRole('cell', { name: 'Forced open', exact: true }).waitFor();
  await page.getByRole('button', { name: 'Release market → exchange' }).click();
  await breaker.getByRole('cell', { name: 'Closed', exact: true }).waitFor();
});

test("the sagas page lists order sagas by state, and one saga's timeline shows its steps with times, attempts and outcomes, and its trace id", async () => {
  const { page } = browser;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Operations' }).click();
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Sagas' }).click();
  // The orders placed while the exchange was failing: their sagas compensated.
  await page.getByLabel('State').selectOption('compensated');
  await page
    .getByRole('row', { name: /Buy 1 AAPL.*Compensated/ })
    .first()
    .waitFor();
  await page
    .getByRole('link', { name: /^Buy 1 AAPL$/ })
    .first()
    .click();
  await page.getByRole('heading', { level: 2, name: 'Timeline' }).waitFor();
  for (const header of ['Time', 'Step', 'Attempt', 'Outcome'])
    await page.getByRole('columnheader', { name: header, exact: true }).waitFor();
  assert.ok((await page.getByRole('row').count()) > 1, 'a header row and at least one step');
  // The trace of the order's request, to find its spans.
  const trace = page.getByRole('term').filter({ hasText: 'Trace id' }).locator('xpath=following-sibling::dd[1]');
  assert.match((await trace.textContent()) ?? '', /^[0-9a-f]{32}$/);
});

test('at phone width the admin and operations pages fit the screen: no sideways scrolling (the signals table scrolls within itself)', async () => {
  const { page } = browser;
  await page.setViewportSize({ width: 360, height: 740 });
  try {
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const link of ['Admin', 'Operations']) {
      await nav.getByRole('link', { name: link }).click();
      await page.getByRole('heading', { level: 1, name: link }).waitFor();
      if (link === 'Operations') await page.getByRole('columnheader', { name: 'Requests/s' }).waitFor();
      // Evaluated in the page (this file is type-checked without the DOM's types).
      const [scrollWidth, innerWidth] = (await page.evaluate(
        '[document.documentElement.scrollWidth, window.innerWidth]',
      )) as [number, number];
      assert.ok(scrollWidth <= innerWidth, `${link}: ${scrollWidth}px wide in a ${innerWidth}px window`);
    }
  } finally {
    await page.setViewportSize({ width: 1100, height: 800 });
  }
});
