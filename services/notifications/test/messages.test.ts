/** Unit tests of what notifications say. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SMS_MAX, emailText, smsText } from '../src/domain/channels.ts';
import {
  orderStatusChanged,
  paymentCompleted,
  paymentFailed,
  settingsChanged,
  strategyCreated,
} from '../src/domain/messages.ts';

const order = { side: 'buy' as const, assetId: 'AAPL', quantity: '10', reason: null, fillPrice: null, fee: '1.01' };

describe('notification texts', () => {
  it('deposits and withdrawals', () => {
    assert.deepEqual(paymentCompleted({ kind: 'deposit', method: 'card', amount: '250.00' }), {
      kind: 'deposit_completed',
      title: 'Deposit completed',
      body: 'Your deposit of 250.00 USD by card is now available in your account.',
    });
    const declined = paymentFailed({ kind: 'deposit', method: 'card', amount: '250.00', reason: 'card_declined' });
    assert.equal(declined.kind, 'deposit_failed');
    assert.equal(declined.title, 'Deposit failed: card declined');
    assert.match(declined.body, /250\.00 USD/);
    assert.equal(
      paymentCompleted({ kind: 'withdrawal', method: 'bank_transfer', amount: '10.00' }).kind,
      'withdrawal_completed',
    );
    assert.equal(
      paymentFailed({ kind: 'withdrawal', method: 'bank_transfer', amount: '10.00', reason: 'provider_error' }).title,
      'Withdrawal failed: provider error',
    );
  });

  it('a filled buy and sell say quantity, asset, price, fee and the total to the cent', () => {
    const buy = orderStatusChanged({ ...order, status: 'filled', fillPrice: '101.25' })!;
    assert.equal(buy.kind, 'order_filled');
    assert.equal(buy.body, 'Bought 10 AAPL at 101.25; fee 1.01. Total cost 1013.51 USD.');
    const sell = orderStatusChanged({
      ...order,
      side: 'sell',
      quantity: '0.5',
      status: 'filled',
      fillPrice: '100.01',
      fee: '1.00',
    })!;
    assert.equal(sell.body, 'Sold 0.5 AAPL at 100.01; fee 1.00. Net proceeds 49.01 USD.'); // 50.005 → 50.01
  });

  it('terminal statuses without a fill carry the reason; pending and placed say nothing', () => {
    const rejected = orderStatusChanged({ ...order, status: 'rejected', reason: 'insufficient_funds' })!;
    assert.equal(rejected.kind, 'order_rejected');
    assert.equal(rejected.title, 'Order rejected: buy 10 AAPL');
    assert.match(rejected.body, /not enough cash/);
    for (const status of ['failed', 'expired', 'canceled'] as const)
      assert.equal(orderStatusChanged({ ...order, status })!.kind, `order_${status}`);
    assert.equal(orderStatusChanged({ ...order, status: 'pending' }), null);
    assert.equal(orderStatusChanged({ ...order, status: 'placed' }), null);
  });
});

describe('channel texts', () => {
  it('a new strategy names it and its allocations', () => {
    const m = strategyCreated({
      name: 'Growth',
      assets: [
        { assetId: 'AAPL', percentage: '60.00' },
        { assetId: 'MSFT', percentage: '40.00' },
      ],
    });
    assert.deepEqual(m, {
      kind: 'strategy_created',
      title: 'New strategy: Growth',
      body: 'A new investment strategy is available: Growth (AAPL 60.00%, MSFT 40.00%). You can invest in it from your accounts.',
    });
  });

  it('an email is the body and how to turn emails off; an SMS is short, title first', () => {
    const n = {
      title: 'Deposit completed',
      body: 'Your deposit of 5.00 USD by card is now available in your account.',
    };
    assert.match(
      emailText(n),
      /^Your deposit of 5\.00 USD by card is now available in your account\.\n\n-- \n.*preferences\.email/,
    );
    assert.equal(
      smsText(n),
      'SimpleBank: Deposit completed. Your deposit of 5.00 USD by card is now available in your account.',
    );
    const long = smsText({ title: 'T', body: 'x'.repeat(1000) });
    assert.equal(long.length, SMS_MAX);
    assert.ok(long.endsWith('…'));
  });
});

describe('the notice of changed settings', () => {
  const was = { email: true, sms: false, emailAddress: 'ada@example.test', phone: null };
  it('names the channels now on and a changed or removed phone number, never the addresses', () => {
    const m = settingsChanged(was, { ...was, sms: true, phone: '+15550100' });
    assert.deepEqual(m, {
      kind: 'settings_changed',
      title: 'Notification settings changed',
      body: 'Your phone number was changed. Notifications now reach you in the app, by e-mail and by SMS. If you did not make this change, contact us at once.',
    });
    assert.equal(
      settingsChanged({ ...was, phone: '+15550100' }, was)?.body,
      'Your phone number was removed. Notifications now reach you in the app and by e-mail. If you did not make this change, contact us at once.',
    );
    assert.equal(
      settingsChanged(was, { ...was, email: false })?.body,
      'Notifications now reach you in the app. If you did not make this change, contact us at once.',
    );
    assert.match(
      settingsChanged(was, { ...was, emailAddress: 'eve@example.test' })?.body ?? '',
      /^Your e-mail address was changed\./,
    );
  });

  it('says nothing when no channel or address changed', () => {
    assert.equal(settingsChanged(was, { ...was }), null);
  });
});
