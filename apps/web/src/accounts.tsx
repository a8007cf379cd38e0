/** Accounts: the list, opening one, a deposit (card or bank transfer) and a withdrawal whose final status is shown, and the statement. */
import { useEffect, useState } from 'preact/hooks';
import { api, idempotencyKey, type Account, type Page as List, type Payment } from './api.ts';
import { usd } from './money.ts';
import { StatementView } from './statement.tsx';
import { ErrorMessage, Field, Page, fieldError, reasonText } from './ui.tsx';

/** A payment is final once completed or failed; until then it is read again every half second. */
async function settle(payment: Payment): Promise<Payment> {
  let current = payment;
  for (let i = 0; i < 120 && (current.status === 'pending' || current.status === 'settling'); i++) {
    await new Promise((r) => setTimeout(r, 500));
    current = await api<Payment>('GET', `/payments/${current.id}`);
  }
  return current;
}

function paymentText(what: 'Deposit' | 'Withdrawal', payment: Payment): string {
  if (payment.status === 'completed') return `${what} of ${usd(payment.amount)} completed`;
  if (payment.status === 'failed')
    return payment.reason === 'card_declined'
      ? `Declined: the card was refused; nothing was deposited`
      : `Failed: ${reasonText(payment.reason)}`;
  return `${what} of ${usd(payment.amount)} is being processed…`;
}

const inFlight = (payment: Payment | undefined) =>
  payment !== undefined && (payment.status === 'pending' || payment.status === 'settling');

function PaymentStatus({ what, payment }: { what: 'Deposit' | 'Withdrawal'; payment: Payment | undefined }) {
  if (!payment) return null;
  return (
    <p role="status" class={payment.status === 'failed' ? 'error' : 'ok'}>
      {paymentText(what, payment)}
    </p>
  );
}

function Deposit({ account, onDone }: { account: Account; onDone: () => void }) {
  const [amount, setAmount] = useState('');
  const [method, setMethod] = useState<'card' | 'bank_transfer'>('card');
  const [card, setCard] = useState('');
  const [error, setError] = useState<unknown>();
  const [payment, setPayment] = useState<Payment>();
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const body =
        method === 'card' ? { amount, method, card: { number: card.replace(/\s+/g, '') } } : { amount, method };
      const started = await api<Payment>('POST', `/accounts/${account.id}/deposits`, body, idempotencyKey());
      setPayment(started);
      const final = await settle(started);
      setPayment(final);
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form onSubmit={submit} noValidate aria-label={`Deposit into ${account.name}`}>
      <Field
        label="Amount"
        value={amount}
        onInput={setAmount}
        inputMode="decimal"
        hint="US dollars with two decimals, e.g. 250.00"
        error={fieldError(error, 'amount')}
      />
      <fieldset class="side">
        <legend>Pay by</legend>
        {(['card', 'bank_transfer'] as const).map((m) => (
          <label key={m}>
            <input
              type="radio"
              name={`method-${account.id}`}
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
      <button type="submit" disabled={inFlight(payment)}>
        Confirm deposit
      </button>
      <PaymentStatus what="Deposit" payment={payment} />
    </form>
  );
}

/** A withdrawal to the customer's bank: the cash is reserved at once and leaves when the provider answers. */
function Withdraw({ account, onDone }: { account: Account; onDone: () => void }) {
  const [amount, setAmount] = useState('');
  const [error, setError] = useState<unknown>();
  const [payment, setPayment] = useState<Payment>();
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setPayment(undefined);
    try {
      const started = await api<Payment>('POST', `/accounts/${account.id}/withdrawals`, { amount }, idempotencyKey());
      setPayment(started);
      setPayment(await settle(started));
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form onSubmit={submit} noValidate aria-label={`Withdraw from ${account.name}`}>
      <Field
        label="Amount to withdraw"
        value={amount}
        onInput={setAmount}
        inputMode="decimal"
        hint={`At most the available ${usd(account.cash.available)}`}
        error={fieldError(error, 'amount')}
      />
      <ErrorMessage error={error} />
      <button type="submit" disabled={inFlight(payment)}>
        Confirm withdrawal
      </button>
      <PaymentStatus what="Withdrawal" payment={payment} />
    </form>
  );
}

type Panel = 'deposit' | 'withdraw' | 'statement';

function AccountCard({ account, reload }: { account: Account; reload: () => void }) {
  const [panel, setPanel] = useState<Panel>();
  const toggle = (p: Panel) => setPanel(panel === p ? undefined : p);
  return (
    <li class="card">
      <h2>{account.name}</h2>
      <dl>
        <dt>Available</dt>
        <dd>{usd(account.cash.available)}</dd>
        <dt>Reserved for orders</dt>
        <dd>{usd(account.cash.reserved)}</dd>
      </dl>
      <div class="actions">
        <button type="button" aria-expanded={panel === 'deposit'} onClick={() => toggle('deposit')}>
          Deposit
        </button>
        <button type="button" aria-expanded={panel === 'withdraw'} onClick={() => toggle('withdraw')}>
          Withdraw
        </button>
        <button type="button" aria-expanded={panel === 'statement'} onClick={() => toggle('statement')}>
          Statement
        </button>
      </div>
      {panel === 'deposit' && <Deposit account={account} onDone={reload} />}
      {panel === 'withdraw' && <Withdraw account={account} onDone={reload} />}
      {panel === 'statement' && <StatementView account={account} />}
    </li>
  );
}

export function Accounts() {
  const [accounts, setAccounts] = useState<Account[]>();
  const [error, setError] = useState<unknown>();
  const [opening, setOpening] = useState(false);
  const [name, setName] = useState('');
  const [openError, setOpenError] = useState<unknown>();
  const load = () =>
    api<List<Account>>('GET', '/accounts')
      .then((page) => setAccounts(page.items))
      .catch(setError);
  useEffect(() => void load(), []);
  const open = async (e: Event) => {
    e.preventDefault();
    setOpenError(undefined);
    try {
      await api<Account>('POST', '/accounts', { name });
      setName('');
      setOpening(false);
      await load();
    } catch (err) {
      setOpenError(err);
    }
  };
  return (
    <Page title="Accounts">
      <ErrorMessage error={error} />
      <button type="button" aria-expanded={opening} onClick={() => setOpening(!opening)}>
        Open account
      </button>
      {opening && (
        <form onSubmit={open} noValidate aria-label="Open an account">
          <Field label="Account name" value={name} onInput={setName} error={fieldError(openError, 'name')} />
          <ErrorMessage error={openError} />
          <button type="submit">Open</button>
        </form>
      )}
      {accounts && accounts.length === 0 && <p>You have no account yet: open one to deposit and trade.</p>}
      <ul class="cards">
        {accounts?.map((account) => (
          <AccountCard key={account.id} account={account} reload={load} />
        ))}
      </ul>
    </Page>
  );
}
