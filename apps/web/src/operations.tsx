/**
 * The operations console: every service's readiness and why, and the circuit breakers' states,
 * read every 2 s while the page is shown from GET /v1/admin/readiness, which asks each service
 * itself — the same in the all-in-one and the distributed mode; one that does not answer is shown
 * as not reachable. Below them, every service's golden signals as small charts (golden-signals.tsx).
 * An admin forces a breaker open (calls to its target refused at once, to shed a sick dependency)
 * and releases it to its automatic control again (PUT /v1/admin/breakers/{service}/{target}).
 */
import { useState } from 'preact/hooks';
import { api } from './api.ts';
import { breakersOf, byService, readiness, type BreakerRow, type Readiness } from './admin-api.ts';
import { ConsoleLinks } from './console-links.tsx';
import { GoldenSignals } from './golden-signals.tsx';
import { useRefreshing } from './refreshing.ts';
import { ErrorMessage, Page, word } from './ui.tsx';

function Services({ report }: { report: Readiness }) {
  const rows = byService(report);
  return (
    <section aria-labelledby="services">
      <h2 id="services">Services</h2>
      <table>
        <caption>{report.ready ? 'Every service is ready' : 'Some services are not ready'}</caption>
        <thead>
          <tr>
            <th scope="col">Service</th>
            <th scope="col">Readiness</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.service}>
              <th scope="row">{r.service}</th>
              <td class={r.ready ? 'ok' : 'error'}>{r.ready ? 'Ready' : 'Not ready'}</td>
              <td>{r.why.length > 0 ? r.why.join('; ') : r.ready ? 'All checks pass' : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** Forces the breaker open, or releases it; the state shown changes with the next reading. */
function BreakerAction({ breaker, onDone }: { breaker: BreakerRow; onDone: (said: string, error?: unknown) => void }) {
  const forced = breaker.state === 'forced-open';
  const what = `${breaker.service} → ${breaker.target}`;
  const act = async () => {
    try {
      const r = await api<{ state: string }>(
        'PUT',
        `/admin/breakers/${breaker.service}/${encodeURIComponent(breaker.target)}`,
        { state: forced ? 'auto' : 'open' },
      );
      onDone(`${what}: ${word(r.state === 'forced-open' ? 'forced_open' : r.state)}`);
    } catch (err) {
      onDone('', err);
    }
  };
  return (
    <button
      type="button"
      class={forced ? 'secondary' : 'danger'}
      aria-label={`${forced ? 'Release' : 'Force open'} ${what}`}
      onClick={() => void act()}
    >
      {forced ? 'Release' : 'Force open'}
    </button>
  );
}

function Breakers({ report }: { report: Readiness }) {
  const rows = breakersOf(report);
  const [said, setSaid] = useState('');
  const [error, setError] = useState<unknown>();
  return (
    <section aria-labelledby="breakers">
      <h2 id="breakers">Circuit breakers</h2>
      {rows.length === 0 ? (
        <p>No circuit breaker yet (one appears with its first call).</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">Towards</th>
              <th scope="col">State</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((b) => (
              <tr key={`${b.service}:${b.target}`}>
                <th scope="row">{b.service}</th>
                <td>{b.target}</td>
                <td class={`breaker breaker-${b.state}`}>
                  {word(b.state === 'forced-open' ? 'forced_open' : b.state)}
                </td>
                <td>
                  <BreakerAction
                    breaker={b}
                    onDone={(text, err) => {
                      setSaid(text);
                      setError(err);
                    }}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorMessage error={error} />
      <p role="status" class="ok">
        {said}
      </p>
      <p class="hint">
        Closed: calls go through. Open: calls are refused at once until a probe may go (Half-open); a successful probe
        closes it. Forced open: refused until released.
      </p>
    </section>
  );
}

export function Operations() {
  const { value: report, error, at } = useRefreshing(readiness, []);
  return (
    <Page title="Operations">
      <ConsoleLinks />
      <ErrorMessage error={error} />
      {at && <p class="hint">Refreshed every 2 seconds; last at {at.toLocaleTimeString()}.</p>}
      {report && (
        <>
          <Services report={report} />
          <Breakers report={report} />
        </>
      )}
      <GoldenSignals />
    </Page>
  );
}
