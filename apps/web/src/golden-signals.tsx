/**
 * The golden signals of every service as small charts: GET /v1/admin/signals read every 2 s while
 * the page is shown, the last minute kept here (signals.ts derives rates from the totals), with each
 * service's outbox backlog, relay lag and queue depth now.
 */
import { api } from './api.ts';
import { LineChart, chartLabel, type ChartPoint } from './chart.tsx';
import { useRefreshing } from './refreshing.ts';
import { keepWindow, meanRelayLagMs, reading, seriesOf, type Point, type SignalsReading } from './signals.ts';
import { ErrorMessage } from './ui.tsx';

/** Readings of the last minute, newest last; a failed reading keeps the others. */
function useSignalReadings(): { readings: SignalsReading[]; error: unknown } {
  const { value, error } = useRefreshing(
    () => api<SignalsReading>('GET', '/admin/signals'),
    [],
    (shown: SignalsReading[] | undefined, next) => keepWindow(shown ?? [], next),
  );
  return { readings: value ?? [], error };
}

/** A small chart and, beside it, its latest value: each chart has its own scale, so the line alone says only the trend. */
function Spark({ what, points, unit }: { what: string; points: Point[]; unit: string }) {
  const shown: ChartPoint[] = points.map((p) => ({ x: p.x, y: reading(p.y) }));
  const last = shown[shown.length - 1];
  return (
    <div class="spark-cell">
      <LineChart label={chartLabel(what, shown, unit)} points={shown} empty="—" />
      {last && (
        <small aria-hidden="true">
          {last.y}
          {unit}
        </small>
      )}
    </div>
  );
}

export function GoldenSignals() {
  const { readings, error } = useSignalReadings();
  const latest = readings[readings.length - 1];
  return (
    <section aria-labelledby="signals">
      <h2 id="signals">Golden signals</h2>
      <ErrorMessage error={error} />
      {!latest ? (
        <p class="hint">Reading the services’ signals…</p>
      ) : (
        <table class="signals">
          <caption>
            The last minute, read every 2 seconds: requests per second, errors (% of requests), p99 latency; requests in
            flight, the outbox and queues now
          </caption>
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">Requests/s</th>
              <th scope="col">Errors</th>
              <th scope="col">p99</th>
              <th scope="col">In flight</th>
              <th scope="col">Outbox backlog</th>
              <th scope="col">Relay lag</th>
              <th scope="col">Queued</th>
            </tr>
          </thead>
          <tbody>
            {latest.services.map(({ service, signals }) => {
              if (!signals) {
                return (
                  <tr key={service}>
                    <th scope="row">{service}</th>
                    <td colSpan={7} class="error">
                      Not reachable
                    </td>
                  </tr>
                );
              }
              const series = seriesOf(readings, service);
              const lag = meanRelayLagMs(readings, service);
              const queued = signals.queues.reduce((n, q) => n + q.ready, 0);
              return (
                <tr key={service}>
                  <th scope="row">{service}</th>
                  <td class="spark">
                    <Spark what={`${service} requests per second`} points={series.rate} unit="/s" />
                  </td>
                  <td class="spark">
                    <Spark what={`${service} errors`} points={series.errorRate} unit=" %" />
                  </td>
                  <td class="spark">
                    <Spark what={`${service} p99 latency`} points={series.p99} unit=" ms" />
                  </td>
                  <td>{signals.inFlight}</td>
                  <td>
                    {signals.outbox.backlog === 0
                      ? '0'
                      : `${signals.outbox.backlog} (oldest ${reading(signals.outbox.oldestAgeSeconds)} s)`}
                  </td>
                  <td>{lag === undefined ? '—' : `${reading(lag)} ms`}</td>
                  <td title={signals.queues.map((q) => `${q.queue}: ${q.ready}`).join('\n')}>
                    {signals.queues.length === 0 ? '—' : queued}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
