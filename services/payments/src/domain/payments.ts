/** The rules of payments and of the simulated payment provider. Pure, no I/O. */
import { MAX_PAYMENT_CENTS, formatMoney, parseMoney, type Cents } from '@simplebank/money';

export type Method = 'card' | 'bank_transfer';
export type Kind = 'deposit' | 'withdrawal';

export interface Caller {
  customerId: string;
  role: 'customer' | 'admin' | 'system';
}

export interface FieldProblem {
  path: string;
  message: string;
}

/** Like payment providers' test cards: this one is always declined. */
export const DECLINED_CARD = '4000000000000002';

export interface ProviderOutcome {
  status: 'completed' | 'failed';
  reason?: string;
}

export interface DepositPlan {
  amount: Cents;
  cardLast4: string | undefined;
  outcome: ProviderOutcome;
}

/**
 * A positive amount of money within the limit per payment (the schema already allows only
 * two-decimal strings). The gateway refuses the same at the door; this is the rule's owner.
 */
export function checkAmount(amount: string): { amount: Cents } | { problem: FieldProblem } {
  const cents = parseMoney(amount);
  if (cents <= 0n) return { problem: { path: '/amount', message: 'must be more than 0.00' } };
  if (cents > MAX_PAYMENT_CENTS)
    return {
      problem: {
        path: '/amount',
        message: `must be at most ${formatMoney(MAX_PAYMENT_CENTS)} (the limit per payment)`,
      },
    };
  return { amount: cents };
}

/** How long a payment waits before its ledger posting is tried again: 200 ms doubled per attempt, at most 60 s. */
export function settleRetryMs(attempts: number): number {
  return Math.min(200 * 2 ** Math.min(attempts, 20), 60_000);
}

/**
 * A deposit: a positive amount; a card (16 digits) for the card method and only for it. The
 * provider's answer is known from the card: the declined test card fails, anything else succeeds.
 */
export function planDeposit(req: {
  amount: string;
  method: Method;
  card?: { number: string } | undefined;
}): DepositPlan | { problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const amount = checkAmount(req.amount);
  if ('problem' in amount) problems.push(amount.problem);
  if (req.method === 'card' && !req.card) problems.push({ path: '/card', message: 'is required when method is card' });
  if (req.method !== 'card' && req.card)
    problems.push({ path: '/card', message: 'is allowed only when method is card' });
  if (req.card && !/^\d{16}$/.test(req.card.number))
    problems.push({ path: '/card/number', message: 'must be 16 digits' });
  if (problems.length > 0 || 'problem' in amount) return { problems };
  const number = req.method === 'card' ? req.card?.number : undefined;
  return { amount: amount.amount, cardLast4: number?.slice(-4), outcome: providerAnswer(number) };
}

export function providerAnswer(cardNumber: string | undefined): ProviderOutcome {
  if (cardNumber === DECLINED_CARD) return { status: 'failed', reason: 'card_declined' };
  return { status: 'completed' };
}

/** A customer sees only their own payments; admins and services all; no identity none. */
export function maySeePayment(caller: Caller | undefined, customerId: string): boolean {
  if (!caller) return false;
  if (caller.role === 'admin' || caller.role === 'system') return true;
  return caller.customerId === customerId;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(s: string): boolean {
  return UUID.test(s);
}

/** A UUID (version 8, "custom") from 32+ hex digits of a hash: a payment id derived from an idempotency key. */
export function uuidFromHex(hex: string): string {
  const h = hex.slice(0, 32).toLowerCase().split('');
  h[12] = '8';
  h[16] = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}
