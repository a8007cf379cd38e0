/**
 * Stubs of orders' collaborators at their contracts: accounts, market-data, and a small in-memory
 * ledger (transactions) that is idempotent on its keys like the real one, keeps balances to the cent
 * and records every call, so tests can check exact amounts and exactly-once effects.
 */
import { BusinessRuleError, NotFoundError, UnavailableError, type Envelope, type Transport } from '@simplebank/chassis';
import { stubService } from '@simplebank/chassis/testing';
import { accountsContract } from '@simplebank/accounts/contract';
import { marketDataContract } from '@simplebank/market-data/contract';
import { transactionsContract } from '@simplebank/transactions/contract';
import { formatMoney, formatQuantity, notional, parseMoney, parseQuantity } from '@simplebank/money';

interface Reservation {
  id: string;
  accountId: string;
  asset: string; // 'USD' or a ticker
  remaining: bigint; // cents or micro-units
}

export interface LedgerCall {
  method: string;
  request: Record<string, unknown>;
  key: string | undefined;
  /** False when the call was answered from the idempotency record (nothing posted). */
  effective: boolean;
}

export class FakeWorld {
  readonly accounts = new Map<string, { ownerId: string; status: 'open' | 'closed' }>();
  readonly prices = new Map<string, string>([
    ['ABC', '100.00'],
    ['XYZ', '33.33'],
  ]);
  /** Per account and asset ('USD' in cents, tickers in micro-units). */
  readonly available = new Map<string, bigint>();
  readonly reserved = new Map<string, bigint>();
  readonly houseFees = { cents: 0n };
  readonly calls: LedgerCall[] = [];
  /** Accounts whose reservations fail with a technical (retryable) error for now. */
  readonly flaky = new Set<string>();
  readonly chargedFees = new Map<string, { accountId: string; amount: bigint }>();
  private readonly reservations = new Map<string, Reservation>();
  private readonly answers = new Map<string, { ok: unknown } | { err: Error }>();
  private n = 0;

  openAccount(id: string, ownerId: string, cash: string, positions: Record<string, string> = {}): void {
    this.accounts.set(id, { ownerId, status: 'open' });
    this.available.set(`${id}/USD`, parseMoney(cash));
    for (const [asset, q] of Object.entries(positions)) this.available.set(`${id}/${asset}`, parseQuantity(q));
  }

  cash(accountId: string): { available: string; reserved: string } {
    return {
      available: formatMoney(this.available.get(`${accountId}/USD`) ?? 0n),
      reserved: formatMoney(this.reserved.get(`${accountId}/USD`) ?? 0n),
    };
  }

  position(accountId: string, asset: string): { available: string; reserved: string } {
    return {
      available: formatQuantity(this.available.get(`${accountId}/${asset}`) ?? 0n),
      reserved: formatQuantity(this.reserved.get(`${accountId}/${asset}`) ?? 0n),
    };
  }

  /** The calls that posted something, of one method and order. */
  effective(method: string, orderId?: string): LedgerCall[] {
    return this.calls.filter(
      (c) =>
        c.method === method &&
        c.effective &&
        (orderId === undefined ||
          c.request.orderId === orderId ||
          this.reservationOrder.get(c.request.reservationId as string) === orderId),
    );
  }

  private readonly reservationOrder = new Map<string, string>();

  private move(from: string, to: string, amount: bigint): void {
    const a = this.balance(from);
    if (a.map.get(a.key)! < amount) throw new Error(`negative book ${from}`);
    a.map.set(a.key, a.map.get(a.key)! - amount);
    const b = this.balance(to);
    b.map.set(b.key, (b.map.get(b.key) ?? 0n) + amount);
  }

  private balance(book: string): { map: Map<string, bigint>; key: string } {
    const [kind, key] = book.split(':') as ['available' | 'reserved', string];
    const map = kind === 'available' ? this.available : this.reserved;
    if (!map.has(key)) map.set(key, 0n);
    return { map, key };
  }

  /** Runs `post` once per (method, key); repeats get the first answer, refusals included. */
  private idempotent<T>(method: string, request: Record<string, unknown>, envelope: Envelope, post: () => T): T {
    const key = envelope.idempotencyKey;
    const id = `${method}:${key}`;
    const previous = key ? this.answers.get(id) : undefined;
    if (previous) {
      this.calls.push({ method, request, key, effective: false });
      if ('err' in previous) throw previous.err;
      return previous.ok as T;
    }
    try {
      const ok = post();
      this.calls.push({ method, request, key, effective: true });
      if (key) this.answers.set(id, { ok });
      return ok;
    } catch (err) {
      this.calls.push({ method, request, key, effective: false });
      if (key && err instanceof BusinessRuleError) this.answers.set(id, { err });
      throw err;
    }
  }

  private reserve(
    accountId: string,
    asset: string,
    amount: bigint,
    orderId: string | undefined,
    refusal: string,
  ): { reservationId: string } {
    if ((this.available.get(`${accountId}/${asset}`) ?? 0n) < amount)
      throw new BusinessRuleError(refusal, `Not enough ${asset} available`);
    this.move(`available:${accountId}/${asset}`, `reserved:${accountId}/${asset}`, amount);
    const id = `r-${++this.n}`;
    this.reservations.set(id, { id, accountId, asset, remaining: amount });
    if (orderId) this.reservationOrder.set(id, orderId);
    return { reservationId: id };
  }

  stubs(): Array<(t: Transport) => ReturnType<typeof stubService>> {
    return [
      (t) =>
        stubService(t, accountsContract, {
          getAccount: ({ accountId }, envelope) => {
            const a = this.accounts.get(accountId);
            if (!a || (envelope.identity?.role === 'customer' && envelope.identity.customerId !== a.ownerId))
              throw new NotFoundError('No such account');
            return {
              id: accountId,
              ownerId: a.ownerId,
              name: 'Main',
              currency: 'USD' as const,
              status: a.status,
              createdAt: new Date().toISOString(),
            };
          },
        }),
      (t) =>
        stubService(t, marketDataContract, {
          getAsset: ({ assetId }) => {
            const price = this.prices.get(assetId);
            if (!price) throw new NotFoundError('No such asset');
            return {
              id: assetId,
              name: assetId,
              type: 'stock' as const,
              currency: 'USD' as const,
              price,
              updatedAt: new Date().toISOString(),
            };
          },
        }),
      (t) =>
        stubService(t, transactionsContract, {
          reserveCash: (req, env) => {
            if (this.flaky.has(req.accountId)) {
              this.calls.push({ method: 'reserveCash', request: req, key: env.idempotencyKey, effective: false });
              throw new UnavailableError('ledger busy');
            }
            return this.idempotent('reserveCash', req, env, () =>
              this.reserve(req.accountId, 'USD', parseMoney(req.amount), req.orderId, 'insufficient_funds'),
            );
          },
          reservePosition: (req, env) =>
            this.idempotent('reservePosition', req, env, () =>
              this.reserve(
                req.accountId,
                req.assetId,
                parseQuantity(req.quantity),
                req.orderId,
                'insufficient_position',
              ),
            ),
          releaseReservation: (req, env) =>
            this.idempotent('releaseReservation', req, env, () => {
              const r = this.reservations.get(req.reservationId);
              if (!r) throw new NotFoundError('No such reservation');
              if (r.remaining === 0n) return { released: false };
              this.move(`reserved:${r.accountId}/${r.asset}`, `available:${r.accountId}/${r.asset}`, r.remaining);
              r.remaining = 0n;
              return { released: true };
            }),
          chargeFee: (req, env) =>
            this.idempotent('chargeFee', req, env, () => {
              const amount = parseMoney(req.amount);
              if ((this.available.get(`${req.accountId}/USD`) ?? 0n) < amount)
                throw new BusinessRuleError('insufficient_funds', 'Not enough cash for the fee');
              this.available.set(`${req.accountId}/USD`, this.available.get(`${req.accountId}/USD`)! - amount);
              this.houseFees.cents += amount;
              this.chargedFees.set(req.feeId, { accountId: req.accountId, amount });
              return { postingId: `p-${++this.n}` };
            }),
          refundFee: (req, env) =>
            this.idempotent('refundFee', req, env, () => {
              // As the real ledger: only the reversal of a fee it charged.
              const charged = this.chargedFees.get(req.feeId);
              if (!charged || charged.accountId !== req.accountId)
                throw new NotFoundError('No fee was charged under this fee id');
              const amount = parseMoney(req.amount);
              this.houseFees.cents -= amount;
              this.available.set(`${req.accountId}/USD`, (this.available.get(`${req.accountId}/USD`) ?? 0n) + amount);
              return { postingId: `p-${++this.n}` };
            }),
          settleTrade: (req, env) =>
            this.idempotent('settleTrade', req, env, () => {
              const r = this.reservations.get(req.reservationId);
              if (!r || r.remaining === 0n) throw new NotFoundError('No such reservation');
              const q = parseQuantity(req.quantity);
              const cost = notional(q, parseMoney(req.fillPrice));
              if (req.side === 'buy') {
                this.reserved.set(`${r.accountId}/USD`, this.reserved.get(`${r.accountId}/USD`)! - r.remaining);
                this.available.set(
                  `${r.accountId}/USD`,
                  this.available.get(`${r.accountId}/USD`)! + r.remaining - cost,
                );
                this.available.set(
                  `${r.accountId}/${req.assetId}`,
                  (this.available.get(`${r.accountId}/${req.assetId}`) ?? 0n) + q,
                );
              } else {
                this.reserved.set(
                  `${r.accountId}/${req.assetId}`,
                  this.reserved.get(`${r.accountId}/${req.assetId}`)! - r.remaining,
                );
                this.available.set(`${r.accountId}/USD`, (this.available.get(`${r.accountId}/USD`) ?? 0n) + cost);
              }
              r.remaining = 0n;
              return { postingId: `p-${++this.n}`, cashAmount: formatMoney(req.side === 'buy' ? -cost : cost) };
            }),
        }),
    ];
  }
}
