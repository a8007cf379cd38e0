/**
 * The simulation's controls: pin (or release) an asset's price, and set the simulated exchange
 * open, slow, failing or closed. The exchange's current settings are read (GET
 * /v1/admin/simulation/exchange) when the page opens and every 2 s, so a change made elsewhere (the
 * CLI, another admin) shows too.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type Asset } from './api.ts';
import type { ExchangeSettings } from './admin-api.ts';
import { usd } from './money.ts';
import { useRefreshing } from './refreshing.ts';
import { ErrorMessage, Field, fieldError } from './ui.tsx';

/** Each mode as the settings it sends; slow waits 1.5 s per call, failing refuses every call. */
const MODES = {
  open: { label: 'Open', settings: { open: true, latencyMs: 0, failureRate: 0 } },
  slow: { label: 'Slow', settings: { open: true, latencyMs: 1500, failureRate: 0 } },
  failing: { label: 'Failing', settings: { open: true, latencyMs: 0, failureRate: 1 } },
  closed: { label: 'Closed', settings: { open: false, latencyMs: 0, failureRate: 0 } },
} as const;
type Mode = keyof typeof MODES;

/** The mode these settings are, if they are one of ours (a custom latency or rate is none). */
function modeOf(s: ExchangeSettings): Mode | undefined {
  return (Object.keys(MODES) as Mode[]).find((m) => {
    const want = MODES[m].settings;
    return want.open === s.open && want.latencyMs === s.latencyMs && want.failureRate === s.failureRate;
  });
}

/** "Open: 0 ms per call, failure rate 0, fills after 200 ms." */
function describe(s: ExchangeSettings): string {
  const mode = modeOf(s);
  return `${mode ? MODES[mode].label : s.open ? 'Open (custom)' : 'Closed'}: ${s.latencyMs} ms per call, failure rate ${s.failureRate}, fills after ${s.fillDelayMs} ms.`;
}

function PinPrice() {
  const [assetId, setAssetId] = useState('');
  const [price, setPrice] = useState('');
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState('');
  const send = async (body: Record<string, unknown>) => {
    setError(undefined);
    setDone('');
    try {
      const asset = await api<Asset>(
        'PUT',
        `/admin/simulation/prices/${encodeURIComponent(assetId.trim().toUpperCase())}`,
        body,
      );
      setDone(
        body.pinned === false
          ? `${asset.id} released: ${usd(asset.price)} now, moving again`
          : `${asset.id} pinned at ${usd(asset.price)}`,
      );
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form
      noValidate
      aria-label="Pin a price"
      onSubmit={(e) => {
        e.preventDefault();
        void send({ price });
      }}
    >
      <Field
        label="Asset to pin"
        value={assetId}
        onInput={setAssetId}
        hint="A ticker, e.g. AAPL"
        error={fieldError(error, 'assetId')}
      />
      <Field
        label="Price"
        value={price}
        onInput={setPrice}
        inputMode="decimal"
        hint="US dollars with two decimals, e.g. 101.25"
        error={fieldError(error, 'price')}
        required={false}
      />
      <ErrorMessage error={error} />
      <div class="buttons">
        <button type="submit">Pin price</button>
        <button type="button" class="secondary" onClick={() => void send({ pinned: false })}>
          Release price
        </button>
      </div>
      <p role="status" class="ok">
        {done}
      </p>
    </form>
  );
}

function Exchange() {
  const [mode, setMode] = useState<Mode>();
  const [error, setError] = useState<unknown>();
  const [changed, setChanged] = useState<{ settings: ExchangeSettings; at: Date }>();
  const current = useRefreshing(() => api<ExchangeSettings>('GET', '/admin/simulation/exchange'), []);
  // Whichever is newer: the last reading, or what the last change answered.
  const settings = changed && (!current.at || current.at < changed.at) ? changed.settings : current.value;
  // The radios start at the mode the exchange is in; later readings do not move the admin's choice.
  useEffect(() => {
    if (mode === undefined && current.value) setMode(modeOf(current.value) ?? 'open');
  }, [current.value]);
  const apply = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      setChanged({
        settings: await api<ExchangeSettings>('PUT', '/admin/simulation/exchange', MODES[mode ?? 'open'].settings),
        at: new Date(),
      });
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form onSubmit={apply} noValidate aria-label="The exchange">
      <p role="status">
        {settings ? `The exchange now: ${describe(settings)}` : current.error ? '' : 'Reading the exchange’s settings…'}
      </p>
      <ErrorMessage error={current.error} />
      <fieldset class="side">
        <legend>Exchange</legend>
        {(Object.keys(MODES) as Mode[]).map((m) => (
          <label key={m}>
            <input type="radio" name="exchange-mode" value={m} checked={mode === m} onChange={() => setMode(m)} />
            {MODES[m].label}
          </label>
        ))}
      </fieldset>
      <ErrorMessage error={error} />
      <button type="submit">Set exchange</button>
    </form>
  );
}

export function Simulation() {
  return (
    <section aria-labelledby="simulation">
      <h2 id="simulation">Simulation</h2>
      <PinPrice />
      <Exchange />
    </section>
  );
}
