/**
 * An account's statement for this month so far (GET /v1/accounts/{id}/statement): opening balance,
 * a line per movement of cash with its running balance, closing balance. Reporting builds it from
 * events, so it lags by moments: it is read again every 2 s while shown, and says how current it is.
 */
import { api, type Account } from './api.ts';
import { usd } from './money.ts';
import { useRefreshing } from './refreshing.ts';
import { ErrorMessage, when } from './ui.tsx';

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
  const { value: statement, error, at } = useRefreshing(() => api<Statement>('GET', `/accounts/${account.id}/statement`), [account.id]);
  return (
    <section aria-label={`Statement of ${account.name}`}>
      <h3>Statement, this month</h3>
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
