import { randomUUID } from 'node:crypto';
import { BusinessRuleError, NotFoundError, UnavailableError, type Envelope } from '@simplebank/chassis';
import { stubService } from '@simplebank/chassis/testing';
import { accountsContract } from '@simplebank/accounts/contract';
import { parseMoney } from '@simplebank/money';
import { transactionsContract } from '@simplebank/transactions/contract';

/** The collaborators at their contracts: accounts (ownership) and the ledger's cash reservations and payment postings. */
export class World {
  accounts = new Map<string, { ownerId: string; status: 'open' | 'closed' }>();
  available = new Map<string, bigint>();
  reservations: Array<{
    request: { accountId: string; amount: string; paymentId?: string };
    key: string | undefined;
    reservationId: string;
  }> = [];
  /** Payment postings of the ledger, by payment id (posted once each). */
  postings = new Map<
    string,
    { accountId: string; kind: string; amount: string; reservationId?: string | undefined; key: string | undefined }
  >();
  /** While set, postPayment answers 503 (the ledger is unavailable). */
  ledgerDown = false;

  openAccount(ownerId: string, cash = '0.00', status: 'open' | 'closed' = 'open'): string {
    const id = randomUUID();
    this.accounts.set(id, { ownerId, status });
    this.available.set(id, parseMoney(cash));
    return id;
  }

  stubs() {
    return [
      (t: Parameters<typeof stubService>[0]) =>
        stubService(t, accountsContract, {
          getAccount: (req, envelope: Envelope) => {
            const a = this.accounts.get(req.accountId);
            const who = envelope.identity;
            if (!a || !who || (who.role === 'customer' && who.customerId !== a.ownerId))
              throw new NotFoundError('No such account');
            return {
              id: req.accountId,
              ownerId: a.ownerId,
              name: 'Main',
              currency: 'USD' as const,
              status: a.status,
              createdAt: new Date().toISOString(),
            };
          },
        }),
      (t: Parameters<typeof stubService>[0]) =>
        stubService(t, transactionsContract, {
          postPayment: (req, envelope: Envelope) => {
            if (this.ledgerDown) throw new UnavailableError('the ledger is down');
            if (!this.postings.has(req.paymentId)) {
              this.postings.set(req.paymentId, {
                accountId: req.accountId,
                kind: req.kind,
                amount: req.amount,
                reservationId: req.reservationId,
                key: envelope.idempotencyKey,
              });
              if (req.kind === 'deposit')
                this.available.set(req.accountId, (this.available.get(req.accountId) ?? 0n) + parseMoney(req.amount));
            }
            return { postingId: `posting-${req.paymentId}` };
          },
          reserveCash: (req, envelope: Envelope) => {
            const previous = this.reservations.find((r) => r.key === envelope.idempotencyKey);
            if (previous) return { reservationId: previous.reservationId };
            const cash = this.available.get(req.accountId) ?? 0n;
            const amount = parseMoney(req.amount);
            if (cash < amount) throw new BusinessRuleError('insufficient_funds', 'Not enough cash');
            this.available.set(req.accountId, cash - amount);
            const reservationId = randomUUID();
            this.reservations.push({ request: req, key: envelope.idempotencyKey, reservationId });
            return { reservationId };
          },
        }),
    ];
  }
}
