/**
 * What a notification says, from the event that caused it. Pure: no I/O. Texts carry amounts and
 * assets, never card numbers or e-mail addresses (the events carry neither; we add none).
 */
import { formatMoney, notional, parseMoney, parseQuantity } from '@simplebank/money';

export interface Message {
  kind: string;
  title: string;
  body: string;
}

export interface PaymentFacts {
  kind: 'deposit' | 'withdrawal';
  method: 'card' | 'bank_transfer';
  amount: string;
  reason?: string;
}

export interface OrderFacts {
  side: 'buy' | 'sell';
  assetId: string;
  quantity: string;
  status: 'pending' | 'placed' | 'filled' | 'rejected' | 'failed' | 'canceled' | 'expired';
  reason: string | null;
  fillPrice: string | null;
  fee: string;
}

const REASONS: Record<string, string> = {
  card_declined: 'card declined',
  insufficient_funds: 'not enough cash',
  insufficient_position: 'not enough shares',
  exchange_rejected: 'refused by the exchange',
  exchange_unavailable: 'the exchange was unavailable',
  expired: 'not filled in time',
  canceled_by_customer: 'canceled at your request',
};

/** A reason code in words ("card_declined" → "card declined"). */
export function describeReason(reason: string | null | undefined): string {
  if (!reason) return 'unknown reason';
  return REASONS[reason] ?? reason.replace(/_/g, ' ');
}

const METHOD = { card: 'card', bank_transfer: 'bank transfer' } as const;

export function paymentCompleted(p: PaymentFacts): Message {
  if (p.kind === 'deposit') {
    return {
      kind: 'deposit_completed',
      title: 'Deposit completed',
      body: `Your deposit of ${p.amount} USD by ${METHOD[p.method]} is now available in your account.`,
    };
  }
  return {
    kind: 'withdrawal_completed',
    title: 'Withdrawal completed',
    body: `Your withdrawal of ${p.amount} USD has been paid out.`,
  };
}

export function paymentFailed(p: PaymentFacts): Message {
  const why = describeReason(p.reason);
  if (p.kind === 'deposit') {
    return {
      kind: 'deposit_failed',
      title: `Deposit failed: ${why}`,
      body: `Your deposit of ${p.amount} USD by ${METHOD[p.method]} did not go through (${why}). No money was taken.`,
    };
  }
  return {
    kind: 'withdrawal_failed',
    title: `Withdrawal failed: ${why}`,
    body: `Your withdrawal of ${p.amount} USD did not go through (${why}). The cash is available in your account again.`,
  };
}

/** The statuses a customer is told about; pending and placed are steps on the way, not news. */
export const NOTIFIED_STATUSES = ['filled', 'rejected', 'failed', 'expired', 'canceled'] as const;

/** The notification for an order's new status, or null when the status is not notified. */
export function orderStatusChanged(o: OrderFacts): Message | null {
  const what = `${o.side} ${o.quantity} ${o.assetId}`;
  switch (o.status) {
    case 'filled': {
      const verb = o.side === 'buy' ? 'Bought' : 'Sold';
      if (!o.fillPrice)
        return {
          kind: 'order_filled',
          title: `Order filled: ${what}`,
          body: `${verb} ${o.quantity} ${o.assetId}; fee ${o.fee}.`,
        };
      const gross = notional(parseQuantity(o.quantity), parseMoney(o.fillPrice));
      const fee = parseMoney(o.fee);
      const total =
        o.side === 'buy'
          ? `Total cost ${formatMoney(gross + fee)} USD.`
          : `Net proceeds ${formatMoney(gross - fee)} USD.`;
      return {
        kind: 'order_filled',
        title: `Order filled: ${what}`,
        body: `${verb} ${o.quantity} ${o.assetId} at ${o.fillPrice}; fee ${o.fee}. ${total}`,
      };
    }
    case 'rejected':
    case 'failed':
    case 'expired':
    case 'canceled': {
      const why = describeReason(o.reason ?? (o.status === 'expired' ? 'expired' : null));
      const lead = {
        rejected: 'was rejected',
        failed: 'could not be placed',
        expired: 'expired without a fill',
        canceled: 'was canceled',
      }[o.status];
      return {
        kind: `order_${o.status}`,
        title: `Order ${o.status}: ${what}`,
        body: `Your order to ${what} ${lead} (${why}). Your account is unchanged: any reserved cash or shares are released and any fee is refunded.`,
      };
    }
    default:
      return null;
  }
}

export interface StrategyFacts {
  name: string;
  assets: Array<{ assetId: string; percentage: string }>;
}

/** The announcement of a new strategy to customers who opted in to email. */
export function strategyCreated(s: StrategyFacts): Message {
  const mix = s.assets.map((a) => `${a.assetId} ${a.percentage}%`).join(', ');
  return {
    kind: 'strategy_created',
    title: `New strategy: ${s.name}`,
    body: `A new investment strategy is available: ${s.name} (${mix}). You can invest in it from your accounts.`,
  };
}

/** The channels and addresses a customer's notifications go by, as notifications knows them. */
export interface ContactFacts {
  email: boolean;
  sms: boolean;
  emailAddress: string | null;
  phone: string | null;
}

/**
 * The notice of a change to where notifications go — a bank tells its customer, so a change they
 * did not make is noticed — or null when nothing the customer is told about changed (a new name,
 * the push preference, which has no channel yet). Names the channels, never the addresses.
 */
export function settingsChanged(before: ContactFacts, after: ContactFacts): Message | null {
  const changes: string[] = [];
  if (before.phone !== after.phone)
    changes.push(after.phone === null ? 'Your phone number was removed.' : 'Your phone number was changed.');
  if (before.emailAddress !== after.emailAddress) changes.push('Your e-mail address was changed.');
  if (changes.length === 0 && before.email === after.email && before.sms === after.sms) return null;
  const ways = ['in the app', ...(after.email ? ['by e-mail'] : []), ...(after.sms ? ['by SMS'] : [])];
  const list = ways.length === 1 ? ways[0] : `${ways.slice(0, -1).join(', ')} and ${ways.at(-1)}`;
  const body = [
    ...changes,
    `Notifications now reach you ${list}.`,
    'If you did not make this change, contact us at once.',
  ].join(' ');
  return { kind: 'settings_changed', title: 'Notification settings changed', body };
}
