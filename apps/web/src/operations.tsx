/**
 * The operations console: every service's readiness and why, and the circuit breakers' states,
 * read from the gateway's /health/ready every 2 s while the page is shown. In the all-in-one
 * system that is every service's checks; in the distributed mode, the gateway process's own.
 *
 * Forcing a breaker open or closed is a system method of each service (`_breaker`) that the public
 * API does not offer yet, so the page shows the states only.
 */
import { breakersOf, byService, readiness, type Readiness } from './admin-api.ts';
import { ConsoleLinks } from './console-links.tsx';
import { useRefreshing } from './refreshing.ts';
import { ErrorMessage, Page, word } from './ui.tsx';

function Services({ report }: { report: Readiness }) {
  const rows = byService(report.checks);
  return (
    <section aria-labelledby="services">
      <h2 id="services">Services</h2>
      <table>
        <caption>{report.status === 'ready' ? 'Every service is ready' : 'Some services are not ready'}</caption>
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

function Breakers({ report }: { report: Readiness }) {
  const rows = breakersOf(report.checks);
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
            </tr>
          </thead>
          <tbody>
            {rows.map((b) => (
              <tr key={`${b.service}:${b.target}`}>
                <th scope="row">{b.service}</th>
                <td>{b.target}</td>
                <td class={`breaker breaker-${b.state}`}>{word(b.state === 'forced-open' ? 'forced_open' : b.state)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="hint">Closed: calls go through. Open: calls are refused at once until a probe may go (Half-open); a successful probe closes it.</p>
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
    </Page>
  );
}
