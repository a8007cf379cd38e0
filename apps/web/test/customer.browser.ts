/**
 * The customer's journey in a real browser, driven by role and accessible name (issue 12's contract):
 * sign up, open an account, deposit, buy, see the fill arrive without a reload, the holding and the
 * notification; a reload keeping the session; a declined card shown as declined; a withdrawal, refused
 * beyond the cash, and the statement (this month, and a period picked); investing in a strategy.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Bank } from '../../../test/e2e/system.ts';
import { DECLINED_CARD, GOOD_CARD, deposit, openAccount, signUp, startBrowser, type Browser } from './harness.ts';

let browser: Browser;
before(async () => {
  browser = await startBrowser();
});
after(async () => {
  await browser?.stop();
});

test('a new customer signs up, deposits, buys, and sees the fill, the holding and the notification without reloading', async () => {
  const { page } = browser;
  // A reload would lose the in-memory session and land on "Log in": counting loads proves there was none.
  let loads = 0;
  page.on('load', () => loads++);
  let streams = 0;
  page.on('request', (r) => new URL(r.url()).pathname === '/v1/stream' && streams++);
  await signUp(page);
  const nav = page.getByRole('navigation');
  for (const link of ['Accounts', 'Trade', 'Orders', 'Holdings', 'Notifications', 'Profile'])
    await nav.getByRole('link', { name: link }).waitFor();
  // The news stream is open: the header says "Live".
  await page
    .getByRole('status')
    .filter({ hasText: /^Live$/ })
    .waitFor();
  await openAccount(page, 'Main');

  assert.match(await deposit(page, '1000.00', GOOD_CARD), /completed/);
  await page.getByText('$1,000.00').first().waitFor();

  // The suite's price feed is frozen (test/e2e/settings.ts): a pin gives AAPL a price in its history.
  await new Bank(browser.system.http).pinPrice('AAPL', '229.50');
  await nav.getByRole('link', { name: 'Trade' }).click();
  await page.getByRole('combobox', { name: 'Asset' }).fill('AAPL');
  await page.getByRole('option', { name: /AAPL/ }).click();
  // The chosen asset's price over the last hour, as a chart named by its range.
  await page.getByRole('img', { name: /^AAPL price, \d+ points?, (from \d+\.\d{2} to )?229\.50$/ }).waitFor();
  await page.getByLabel('Quantity').fill('2');
  await page.getByRole('radio', { name: 'Buy' }).check();
  await page.getByRole('button', { name: 'Review order' }).click();
  const review = page.getByRole('region', { name: 'Review' });
  for (const term of ['Quote', 'Limit price', 'Fee']) await review.getByText(term, { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Place order' }).click();

  // The order page follows the order until it is final: "Filled" arrives with no reload.
  await page.getByRole('heading', { name: 'Buy 2 AAPL' }).waitFor();
  await page.locator('main').getByText('Filled', { exact: true }).first().waitFor({ timeout: 20_000 });
  assert.match((await page.locator('main').textContent()) ?? '', /Fill price\$[\d,]+\.\d{2}/);

  await nav.getByRole('link', { name: 'Orders' }).click();
  await page.getByRole('row', { name: /Buy 2 AAPL.*Filled/ }).waitFor();

  await nav.getByRole('link', { name: 'Holdings' }).click();
  const row = page.getByRole('row', { name: /^AAPL/ });
  await row.waitFor();
  assert.equal(await page.getByRole('table').getByRole('row').count(), 2, 'a header row and one row for AAPL');
  assert.match((await row.textContent()) ?? '', /AAPL2\$/);
  await row.getByRole('img', { name: /^AAPL price, / }).waitFor();
  await page.getByText(/Valued at live prices|Prices are stale|Prices are unavailable/).waitFor();
  // With a holding and its chart, the table still fits a phone's width.
  await page.setViewportSize({ width: 360, height: 740 });
  try {
    // Evaluated in the page (this file is type-checked without the DOM's types).
    const [scrollWidth, innerWidth] = (await page.evaluate(
      '[document.documentElement.scrollWidth, window.innerWidth]',
    )) as [number, number];
    assert.ok(scrollWidth <= innerWidth, `Holdings: ${scrollWidth}px wide in a ${innerWidth}px window`);
  } finally {
    await page.setViewportSize({ width: 1100, height: 800 });
  }

  await nav.getByRole('link', { name: 'Notifications' }).click();
  await page.getByRole('heading', { name: /Order filled/ }).waitFor({ timeout: 20_000 });
  await page
    .getByRole('status')
    .filter({ hasText: /\d+ unread/ })
    .waitFor();

  assert.equal(loads, 1, 'the only page load is the sign-up page');
  assert.equal(streams, 1, 'one news stream, kept open across the pages');
});

test('a reload keeps the session (the refresh token is in an httpOnly cookie no script reads); after logging out, a reload asks to log in', async () => {
  const { page } = browser;
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  await signUp(page);
  await page.getByRole('navigation').getByRole('link', { name: 'Accounts' }).waitFor();
  assert.doesNotMatch(
    await page.evaluate('document.cookie'),
    /simplebank_refresh/,
    'the refresh token is not readable by scripts',
  );
  await page.reload();
  await page.getByRole('navigation').getByRole('link', { name: 'Holdings' }).click();
  await page.getByRole('heading', { name: 'Holdings' }).waitFor();
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  await page.reload();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  assert.equal(await page.getByRole('navigation').count(), 0, 'signed out: no navigation');
  await signUp(page); // the next test starts signed in, as after the others
});

test('a declined card is shown as declined, and nothing is deposited', async () => {
  const { page } = browser;
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  await signUp(page);
  await openAccount(page, 'Savings');
  assert.match(await deposit(page, '50.00', DECLINED_CARD), /^Declined/);
  await page.getByText('$0.00').first().waitFor();
});

test('a customer deposits by bank transfer, and chooses SMS notifications with a mobile number on the profile, kept across a reload', async () => {
  const { page } = browser;
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  await signUp(page);
  await openAccount(page, 'Transfers');
  await page.getByRole('button', { name: 'Deposit' }).click();
  await page.getByRole('radio', { name: 'Bank transfer' }).check();
  assert.equal(await page.getByLabel('Card number').count(), 0, 'no card number for a bank transfer');
  await page.getByLabel('Amount').fill('75.50');
  await page.getByRole('button', { name: 'Confirm deposit' }).click();
  await page
    .locator('main')
    .getByRole('status')
    .filter({ hasText: 'Deposit of $75.50 completed' })
    .waitFor({ timeout: 20_000 });

  await page.getByRole('navigation').getByRole('link', { name: 'Profile' }).click();
  const form = page.getByRole('form', { name: 'Notification preferences' });
  await form.getByRole('checkbox', { name: 'SMS' }).check();
  await form.getByLabel('Mobile number').fill('+15550100123');
  await form.getByRole('button', { name: 'Save preferences' }).click();
  await form.getByRole('status').filter({ hasText: 'Preferences saved' }).waitFor();
  await page.reload();
  const again = page.getByRole('form', { name: 'Notification preferences' });
  await again.waitFor();
  assert.equal(await again.getByRole('checkbox', { name: 'SMS' }).isChecked(), true);
  assert.equal(await again.getByLabel('Mobile number').inputValue(), '+15550100123');
});

test('a customer withdraws to the bank, is refused beyond the available cash, and reads the statement', async () => {
  const { page } = browser;
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  await signUp(page);
  await openAccount(page, 'Spending');
  assert.match(await deposit(page, '500.00', GOOD_CARD), /completed/);

  await page.getByRole('button', { name: 'Withdraw', exact: true }).click();
  await page.getByLabel('Amount to withdraw').fill('10000.00');
  await page.getByRole('button', { name: 'Confirm withdrawal' }).click();
  await page.getByRole('alert').filter({ hasText: /\S/ }).waitFor();
  await page.getByLabel('Amount to withdraw').fill('120.25');
  await page.getByRole('button', { name: 'Confirm withdrawal' }).click();
  await page.getByRole('status').filter({ hasText: 'Withdrawal of $120.25 completed' }).waitFor({ timeout: 20_000 });
  await page.getByText('$379.75').first().waitFor();

  // The statement (built from events: it catches up within moments, read again every 2 s).
  await page.getByRole('button', { name: 'Statement', exact: true }).click();
  const statement = page.getByRole('region', { name: 'Statement of Spending' });
  await statement.getByRole('row', { name: /Closing balance.*\$379\.75/ }).waitFor({ timeout: 20_000 });
  await statement.getByRole('row', { name: /Deposit.*\$500\.00/ }).waitFor();
  await statement.getByRole('row', { name: /Withdrawal.*-\$120\.25.*\$379\.75/ }).waitFor();

  // A period the customer picks: before the account existed, nothing moved.
  await statement.getByLabel('From').fill('2020-01-01');
  await statement.getByLabel('To').fill('2020-01-31');
  await statement.getByRole('button', { name: 'Show statement' }).click();
  await statement.getByRole('heading', { name: 'Statement, 2020-01-01 to 2020-01-31' }).waitFor();
  await statement.getByRole('row', { name: /Closing balance.*\$0\.00/ }).waitFor();
  assert.equal(await statement.getByRole('row', { name: /Deposit/ }).count(), 0, 'no movement in January 2020');
});

test('problem details are shown as messages, and field errors next to their fields', async () => {
  const { page } = browser;
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.goto('/signup');
  await page.getByLabel('Name').fill('Bea');
  await page.getByLabel('Email').fill('bea@example.com');
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('alert').filter({ hasText: 'see the fields marked below' }).waitFor();
  const password = page.getByLabel('Password');
  assert.equal(await password.getAttribute('aria-invalid'), 'true');
  // The message is the field's description (aria-describedby), so a screen reader reads it with the field.
  const described = (await password.getAttribute('aria-describedby')) ?? '';
  const descriptions = await Promise.all(described.split(' ').map((id) => page.locator(`[id="${id}"]`).textContent()));
  assert.match(descriptions.join(' '), /10/);
  assert.equal(await page.getByLabel('Name').getAttribute('aria-invalid'), null);

  await page.goto('/login');
  await page.getByLabel('Email').fill('nobody@example.com');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').waitFor();
  assert.match((await page.getByRole('alert').textContent()) ?? '', /\S/);
});

test('at phone width every page fits the screen: no sideways scrolling', async () => {
  const { page } = browser;
  await page.setViewportSize({ width: 360, height: 740 });
  try {
    await signUp(page);
    await openAccount(page, 'Phone');
    const nav = page.getByRole('navigation');
    for (const link of ['Accounts', 'Trade', 'Orders', 'Holdings', 'Strategies', 'Notifications', 'Profile']) {
      await nav.getByRole('link', { name: link }).click();
      await page.getByRole('heading', { level: 1, name: link }).waitFor();
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

test('a customer invests in a strategy an admin made, and follows it to completed: each buy filled, the rest kept as cash', async () => {
  const { page } = browser;
  const bank = new Bank(browser.system.http);
  await bank.pinPrice('AAPL', '229.50');
  await bank.pinPrice('MSFT', '410.20');
  const admin = await bank.adminLogin();
  const name = `Browser growth ${randomUUID().slice(0, 6)}`;
  const created = await admin.http.post('/v1/admin/strategies', {
    name,
    assets: [
      { assetId: 'AAPL', percentage: '60' },
      { assetId: 'MSFT', percentage: '40' },
    ],
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  await signUp(page);
  await openAccount(page, 'Invest');
  await page.getByRole('navigation').getByRole('link', { name: 'Strategies' }).click();
  await page.getByRole('button', { name: `Invest in ${name}` }).click();
  const form = page.getByRole('form', { name: `Invest in ${name}` });
  await form.getByLabel('Amount').fill('1000.00');
  await form.getByLabel('Card number').fill(GOOD_CARD);
  await form.getByRole('button', { name: 'Invest', exact: true }).click();

  await page.getByRole('heading', { level: 1, name: 'Investment' }).waitFor();
  await page.getByRole('status').filter({ hasText: 'Completed' }).waitFor({ timeout: 30_000 });
  const orders = page.getByRole('table', { name: 'Orders' });
  for (const asset of ['AAPL', 'MSFT'])
    await orders.getByRole('row', { name: new RegExp(`${asset}.*Filled`) }).waitFor();
  assert.match((await page.locator('dd').first().textContent()) ?? '', /\$1,000\.00/);
});
