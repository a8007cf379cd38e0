/**
 * Sagas: a service's saga instances by state, newest first (GET /v1/admin/sagas/{service}), and one
 * saga's timeline (GET /v1/admin/sagas/{service}/{sagaId}); any saga is also opened by service and
 * id. Both pages are read again every 2 s while shown.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type Page as List } from './api.ts';
import { serviceNames, type Saga } from './admin-api.ts';
import { ConsoleLinks } from './console-links.tsx';
import { quantity } from './money.ts';
import { useRefreshing } from './refreshing.ts';
import { navigate, onLink } from './router.ts';
import { ErrorMessage, Field, Page, Status, when, word } from './ui.tsx';

const STATES = ['running', 'waiting', 'compensating', 'completed', 'compensated', 'failed'] as const;

/** What a saga is about, in words: an order's saga by its order; any other by its type and id. */
function sagaLabel(s: Omit<Saga, 'log'>): string {
  const d = s.data as { side?: string; quantity?: string; assetId?: string } | null;
  if (s.type === 'PlaceOrder' && d?.side && d.quantity && d.assetId)
    return `${d.side === 'buy' ? 'Buy' : 'Sell'} ${quantity(d.quantity)} ${d.assetId}`;
  return `${s.type} ${s.id}`;
}

/** The services' names, asked once; until they come (or if the read fails: the page's own reads say why), only the one chosen. */
function useServiceNames(chosen: string): string[] {
  const [names, setNames] = useState<string[]>([chosen]);
  useEffect(() => {
    let live = true;
    serviceNames().then(
      (n) => live && setNames(n),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return names;
}

/** A choice of one of the services (whose sagas to open or list). */
function ServiceSelect({
  id,
  label,
  value,
  onChange,
  narrow = false,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (service: string) => void;
  narrow?: boolean;
}) {
  const services = useServiceNames(value);
  return (
    <div class={narrow ? 'field narrow' : 'field'}>
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value)}>
        {services.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
    </div>
  );
}

function OpenSaga() {
  const [service, setService] = useState('orders');
  const [sagaId, setSagaId] = useState('');
  return (
    <form
      noValidate
      aria-label="Open a saga"
      onSubmit={(e) => {
        e.preventDefault();
        if (sagaId.trim()) navigate(`/operations/sagas/${service}/${encodeURIComponent(sagaId.trim())}`);
      }}
    >
      <ServiceSelect id="saga-service" label="Service" value={service} onChange={setService} />
      <Field label="Saga id" value={sagaId} onInput={setSagaId} hint="An order's saga has the order's id" />
      <button type="submit">Open saga</button>
    </form>
  );
}

export function Sagas() {
  const [service, setService] = useState('orders');
  const [state, setState] = useState('');
  const { value: sagas, error } = useRefreshing(
    () =>
      api<List<Omit<Saga, 'log'>>>('GET', `/admin/sagas/${service}?limit=50${state ? `&status=${state}` : ''}`).then(
        (p) => p.items,
      ),
    [service, state],
  );
  return (
    <Page title="Sagas">
      <ConsoleLinks />
      <OpenSaga />
      <h2>Saga instances</h2>
      <ServiceSelect id="sagas-service" label="Of service" value={service} onChange={setService} narrow />
      <div class="field narrow">
        <label for="saga-state">State</label>
        <select id="saga-state" value={state} onChange={(e) => setState((e.currentTarget as HTMLSelectElement).value)}>
          <option value="">Any</option>
          {STATES.map((s) => (
            <option key={s} value={s}>
              {word(s)}
            </option>
          ))}
        </select>
      </div>
      <ErrorMessage error={error} />
      {sagas && sagas.length === 0 && <p>No saga in this state.</p>}
      {sagas && sagas.length > 0 && (
        <table>
          <caption>Newest first</caption>
          <thead>
            <tr>
              <th scope="col">Saga</th>
              <th scope="col">State</th>
              <th scope="col">Current step</th>
              <th scope="col">Started</th>
            </tr>
          </thead>
          <tbody>
            {sagas.map((s) => (
              <tr key={s.id}>
                <th scope="row">
                  <a href={`/operations/sagas/${service}/${encodeURIComponent(s.id)}`} onClick={onLink}>
                    {sagaLabel(s)}
                  </a>
                </th>
                <td>
                  <Status status={s.status} />
                </td>
                <td>{s.currentStep ?? '—'}</td>
                <td>{when(s.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}

export function SagaTimeline({ service, sagaId }: { service: string; sagaId: string }) {
  const { value: saga, error } = useRefreshing(
    () => api<Saga>('GET', `/admin/sagas/${encodeURIComponent(service)}/${encodeURIComponent(sagaId)}`),
    [service, sagaId],
  );
  return (
    <Page title={saga ? `Saga ${saga.type}` : 'Saga'}>
      <ConsoleLinks />
      <ErrorMessage error={error} />
      {saga && (
        <>
          <dl>
            <dt>Service</dt>
            <dd>{service}</dd>
            <dt>Id</dt>
            <dd>{saga.id}</dd>
            <dt>Status</dt>
            <dd>
              <Status status={saga.status} />
            </dd>
            <dt>Current step</dt>
            <dd>{saga.currentStep ?? 'None'}</dd>
            {saga.failure && (
              <>
                <dt>Failure</dt>
                <dd class="error">
                  {saga.failure.code}: {saga.failure.message}
                </dd>
              </>
            )}
            <dt>Started</dt>
            <dd>{when(saga.createdAt)}</dd>
            <dt>Updated</dt>
            <dd>{when(saga.updatedAt)}</dd>
            <dt>Trace id</dt>
            <dd>
              <code>{saga.traceId ?? 'not traced'}</code>
            </dd>
          </dl>
          <h2>Timeline</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Step</th>
                <th scope="col">Phase</th>
                <th scope="col">Attempt</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {saga.log.map((s, i) => (
                <tr key={i}>
                  <td>{when(s.at)}</td>
                  <th scope="row">{s.step}</th>
                  <td>{s.phase}</td>
                  <td>{s.attempt}</td>
                  <td>
                    {word(s.outcome)}
                    {s.detail ? ` — ${s.detail}` : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <p>
        <a href="/operations/sagas" onClick={onLink}>
          All sagas
        </a>
      </p>
    </Page>
  );
}
