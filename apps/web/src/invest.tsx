/**
 * Strategies and investing (api.md, Wave 2): a customer reads the strategies, invests an amount in
 * one into an account of theirs — paid by card or bank transfer, as a deposit is — and follows the
 * investment: awaiting payment, ordering (one buy per allocation), then completed with what was
 * invested, the fees and what was left over as cash; or failed, and why. The investment's page is
 * read again every 2 s while shown.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, idempotencyKey, type Account, type Investment, type Page as List, type Strategy } from './api.ts';
import { quantity, usd } from './money.ts';
import { useRefreshing } from './refreshing.ts';
import { navigate, onLink } from './router.ts';
import { ErrorMessage, Field, Page, Status, fieldError, reasonText, when } from './ui.tsx';

function useAccounts(): Account[] {
  const [accounts, setAccounts] = useState<Account[]>([]);
  useEffect(() => {
    let live = true;
    api<List<Account>>('GET', '/accounts?limit=200').then(
      (r) => live && setAccounts(r.items),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return accounts;
}

function InvestForm({ strategy, accounts }: { strategy: Strategy; accounts: Account[] }) {
  const [accountId, setAccountId] = useState('');
  const [amount, setAmount] = useState('');
  const [method, setMethod] = useState<'card' | 'bank_transfer'>('card');
  const [card, setCard] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const into = accountId || accounts[0]?.id || '';
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      const body = {
        destinationAccountId: into,
        amount,
        method,
        ...(method === 'card' ? { card: { number: card.replace(/\s+/g, '') } } : {}),
      };
      const investment = await api<Investment>(
        'POST',
        `/strategies/${strategy.id}/investments`,
        body,
        idempotencyKey(),
      );
      navigate(`/investments/${investment.id}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  if (accounts.length === 0)
    return <p>Open an account first: an investment's shares are bought into one of your accounts.</p>;
  return (
    <form onSubmit={submit} noValidate aria-label={`Invest in ${strategy.name}`}>
      <div class="field">
        <label for={`into-${strategy.id}`}>Into account</label>
        <select
          id={`into-${strategy.id}`}
          value={into}
          onChange={(e) => setAccountId((e.currentTarget as HTMLSelectElement).value)}
        >
          {accounts.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
      </div>
      <Field
        label="Amount"
        value={amount}
        onInput={setAmount}
        inputMode="decimal"
        hint="US dollars with two decimals, e.g. 1000.00"
        error={fieldError(error, 'amount')}
      />
      <fieldset class="side">
        <legend>Pay by</legend>
        {(['card', 'bank_transfer'] as const).map((m) => (
          <label key={m}>
            <input
              type="radio"
              name={`invest-method-${strategy.id}`}
              value={m}
              checked={method === m}
              onChange={() => setMethod(m)}
            />
            {m === 'card' ? 'Card' : 'Bank transfer'}
          </label>
        ))}
      </fieldset>
      {method === 'card' && (
        <Field
          label="Card number"
          value={card}
          onInput={setCard}
          inputMode="numeric"
          autoComplete="cc-number"
          error={fieldError(error, 'number')}
        />
      )}
      <ErrorMessage error={error} />
      <button type="submit" disabled={busy}>
        Invest
      </button>
    </form>
  );
}

function StrategyCard({ strategy, accounts }: { strategy: Strategy; accounts: Account[] }) {
  const [open, setOpen] = useState(false);
  return (
    <article class="card" aria-labelledby={`strategy-${strategy.id}`}>
      <h2 id={`strategy-${strategy.id}`}>{strategy.name}</h2>
      <ul class="allocations">
        {strategy.assets.map((a) => (
          <li key={a.assetId}>
            {a.assetId} {a.percentage} %
          </li>
        ))}
      </ul>
      <button type="button" class="secondary" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? 'Close' : `Invest in ${strategy.name}`}
      </button>
      {open && <InvestForm strategy={strategy} accounts={accounts} />}
    </article>
  );
}

export function Strategies() {
  const accounts = useAccounts();
  const { value, error } = useRefreshing(() => api<List<Strategy>>('GET', '/strategies?limit=200'), []);
  return (
    <Page title="Strategies">
      <p>
        Invest an amount in a strategy: it is paid into your account, then one buy per allocation is placed; what a buy
        cannot use stays as cash.{' '}
        <a href="/investments" onClick={onLink}>
          Your investments
        </a>
      </p>
      <ErrorMessage error={error} />
      {value && value.items.length === 0 && <p>No strategy yet.</p>}
      {value?.items.map((s) => (
        <StrategyCard key={s.id} strategy={s} accounts={accounts} />
      ))}
    </Page>
  );
}

export function Investments() {
  const { value, error } = useRefreshing(() => api<List<Investment>>('GET', '/investments?limit=50'), []);
  return (
    <Page title="Investments">
      <ErrorMessage error={error} />
      {value && value.items.length === 0 && <p>No investment yet: choose a strategy to invest in.</p>}
      {value && value.items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Placed</th>
              <th scope="col">Amount</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {value.items.map((i) => (
              <tr key={i.id}>
                <th scope="row">
                  <a href={`/investments/${i.id}`} onClick={onLink}>
                    {when(i.createdAt)}
                  </a>
                </th>
                <td>{usd(i.amount)}</td>
                <td>
                  <Status status={i.status} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}

export function InvestmentDetail({ investmentId }: { investmentId: string }) {
  const { value: inv, error } = useRefreshing(
    () => api<Investment>('GET', `/investments/${encodeURIComponent(investmentId)}`),
    [investmentId],
  );
  return (
    <Page title="Investment">
      <ErrorMessage error={error} />
      {inv && (
        <>
          <p role="status">
            <Status status={inv.status} />
            {inv.reason ? ` — ${reasonText(inv.reason)}` : ''}
          </p>
          <dl>
            <dt>Amount</dt>
            <dd>{usd(inv.amount)}</dd>
            <dt>Invested</dt>
            <dd>{usd(inv.invested)}</dd>
            <dt>Fees</dt>
            <dd>{usd(inv.fees)}</dd>
            <dt>Left over as cash</dt>
            <dd>{usd(inv.leftover)}</dd>
          </dl>
          {inv.orders.length > 0 && (
            <table>
              <caption>Orders</caption>
              <thead>
                <tr>
                  <th scope="col">Asset</th>
                  <th scope="col">Quantity</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {inv.orders.map((o) => (
                  <tr key={o.orderId}>
                    <th scope="row">
                      <a href={`/orders/${o.orderId}`} onClick={onLink}>
                        {o.assetId}
                      </a>
                    </th>
                    <td>{quantity(o.quantity)}</td>
                    <td>
                      <Status status={o.status} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {inv.skipped.length > 0 && (
            <p class="hint">
              Not bought (the share stays as cash):{' '}
              {inv.skipped.map((s) => `${s.assetId} ${usd(s.share)} — ${reasonText(s.reason)}`).join('; ')}
            </p>
          )}
        </>
      )}
    </Page>
  );
}
