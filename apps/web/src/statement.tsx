/**
 * An account's statement (GET /v1/accounts/{id}/statement): this month so far, or the days the
 * customer picks; opening balance, a line per movement of cash with its running balance, closing
 * balance. Reporting builds it from events, so it lags by moments: it is read again every 2 s while
 * shown, and says how current it is.
 */
import { useState } from 'preact/hooks';
import { api, type Account } from './api.ts';
import { usd } from './money.ts';
import { useRefreshing } from './refreshing.ts';
import { ErrorMessage, Field, fieldError, when } from './ui.tsx';

/** The day after `day` (YYYY-MM-DD): the API's `to` is exclusive, the customer's "to" day is included. */
function dayAfter(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

function periodQuery(period: { from: string; to: string }): string {
  const q = new URLSearchParams();
  if (period.from) q.set('from', period.from);
  if (period.to) q.set('to', dayAfter(period.to));
  const text = q.toString();
  return text ? `?${text}` : '';
}

interface StatementLine {
  at: string;
  kind: string;
  description: string;
  amount: string;
  balance: string;
}
interface Statement {
  from: string;
  to: string;
  openingBalance: string;
  closingBalance: string;
  lines: StatementLine[];
}

export function StatementView({ account }: { account: Account }) {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [period, setPeriod] = useState({ from: '', to: '' });
  const {
    value: statement,
    error,
    at,
  } = useRefreshing(
    () => api<Statement>('GET', `/accounts/${account.id}/statement${periodQuery(period)}`),
    [account.id, period.from, period.to],
  );
  const chosen = period.from || period.to;
  return (
    <section aria-label={`Statement of ${account.name}`}>
      <h3>{chosen ? `Statement, ${period.from || '…'} to ${period.to || 'now'}` : 'Statement, this month'}</h3>
      <form
        class="period"
        aria-label="Statement period"
        onSubmit={(e) => {
          e.preventDefault();
          setPeriod({ from, to });
        }}
      >
        <Field
          label="From"
          type="date"
          value={from}
          onInput={setFrom}
          required={false}
          error={fieldError(error, 'from')}
        />
        <Field
          label="To"
          type="date"
          value={to}
          onInput={setTo}
          required={false}
          hint="Included"
          error={fieldError(error, 'to')}
        />
        <button type="submit">Show statement</button>
      </form>
      <ErrorMessage error={error} />
      {statement && (
        <>
          <table>
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Description</th>
                <th scope="col">Amount</th>
                <th scope="col">Balance</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <td>{when(statement.from)}</td>
                <td>Opening balance</td>
                <td />
                <td>{usd(statement.openingBalance)}</td>
              </tr>
              {statement.lines.map((l, i) => (
                <tr key={`${l.at}-${i}`}>
                  <td>{when(l.at)}</td>
                  <td>{l.description}</td>
                  <td>{usd(l.amount)}</td>
                  <td>{usd(l.balance)}</td>
                </tr>
              ))}
              <tr>
                <td />
                <td>Closing balance</td>
                <td />
                <td>{usd(statement.closingBalance)}</td>
              </tr>
            </tbody>
          </table>
          {at && <p class="hint">Read at {at.toLocaleTimeString()}; movements appear within moments.</p>}
        </>
      )}
    </section>
  );
}
