/**
 * The admin's page: the ledger's trial balance, the fee schedule (read and changed), strategies,
 * and the simulation's controls. Dead letters have their own page (also reached from Operations).
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type FeeSchedule } from './api.ts';
import type { TrialBalance as Balance } from './admin-api.ts';
import { ConsoleLinks } from './console-links.tsx';
import { DeadLetters } from './dead-letters.tsx';
import { usd } from './money.ts';
import { Simulation } from './simulation.tsx';
import { StrategiesAdmin } from './strategies-admin.tsx';
import { ErrorMessage, Field, Page, fieldError, when } from './ui.tsx';

/** A ledger total: money with two decimals, a ticker's quantity as it comes. */
function total(asset: string, amount: string): string {
  return asset === 'USD' ? usd(amount) : amount;
}

function TrialBalance() {
  const [balance, setBalance] = useState<Balance>();
  const [error, setError] = useState<unknown>();
  const load = () => api<Balance>('GET', '/admin/ledger/trial-balance').then(setBalance, setError);
  useEffect(() => void load(), []);
  return (
    <section aria-labelledby="trial-balance">
      <h2 id="trial-balance">Trial balance</h2>
      <ErrorMessage error={error} />
      {balance && (
        <table>
          <caption class={balance.balanced ? 'ok' : 'error'}>
            {balance.balanced ? 'Balanced: every asset sums to zero' : 'Not balanced'}
          </caption>
          <thead>
            <tr>
              <th scope="col">Asset</th>
              <th scope="col">Total</th>
            </tr>
          </thead>
          <tbody>
            {balance.assets.map((a) => (
              <tr key={a.asset}>
                <th scope="row">{a.asset}</th>
                <td>{total(a.asset, a.total)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <button type="button" class="secondary" onClick={() => void load()}>
        Refresh trial balance
      </button>
    </section>
  );
}

function Fees() {
  const [schedule, setSchedule] = useState<FeeSchedule & { effectiveFrom?: string }>();
  const [minimum, setMinimum] = useState('');
  const [rate, setRate] = useState('');
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    api<FeeSchedule>('GET', '/fees/schedule').then((s) => {
      setSchedule(s);
      setMinimum(s.minimum);
      setRate(s.rate);
    }, setError);
  }, []);
  const save = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setSaved(false);
    try {
      setSchedule(await api<FeeSchedule>('PUT', '/admin/fees/schedule', { minimum, rate }));
      setSaved(true);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section aria-labelledby="fee-schedule">
      <h2 id="fee-schedule">Fee schedule</h2>
      {schedule && (
        <p>
          In force: the larger of {usd(schedule.minimum)} and {schedule.rate} × the order's notional
          {schedule.effectiveFrom ? `, since ${when(schedule.effectiveFrom)}` : ''}. A new schedule applies to orders
          created after it.
        </p>
      )}
      <form onSubmit={save} noValidate aria-label="Change the fee schedule">
        <Field
          label="Minimum fee"
          value={minimum}
          onInput={setMinimum}
          inputMode="decimal"
          hint="US dollars, e.g. 1.00"
          error={fieldError(error, 'minimum')}
        />
        <Field
          label="Rate"
          value={rate}
          onInput={setRate}
          inputMode="decimal"
          hint="A fraction of the notional, e.g. 0.001 for 0.1 %"
          error={fieldError(error, 'rate')}
        />
        <ErrorMessage error={error} />
        <button type="submit">Save fee schedule</button>
        {saved && (
          <p role="status" class="ok">
            Fee schedule saved.
          </p>
        )}
      </form>
    </section>
  );
}

export function Admin() {
  return (
    <Page title="Admin">
      <ConsoleLinks />
      <TrialBalance />
      <Fees />
      <StrategiesAdmin />
      <Simulation />
    </Page>
  );
}

export function DeadLettersPage() {
  return (
    <Page title="Dead letters">
      <ConsoleLinks />
      <DeadLetters />
    </Page>
  );
}
