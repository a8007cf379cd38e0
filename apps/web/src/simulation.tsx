/**
 * The simulation's controls: pin (or release) an asset's price, and set the simulated exchange
 * open, slow, failing or closed. The API has no read of the exchange's settings, so the page shows
 * what the last change answered.
 */
import { useState } from 'preact/hooks';
import { api, type Asset } from './api.ts';
import type { ExchangeSettings } from './admin-api.ts';
import { usd } from './money.ts';
import { ErrorMessage, Field, fieldError } from './ui.tsx';

/** Each mode as the settings it sends; slow waits 1.5 s per call, failing refuses every call. */
const MODES = {
  open: { label: 'Open', settings: { open: true, latencyMs: 0, failureRate: 0 } },
  slow: { label: 'Slow', settings: { open: true, latencyMs: 1500, failureRate: 0 } },
  failing: { label: 'Failing', settings: { open: true, latencyMs: 0, failureRate: 1 } },
  closed: { label: 'Closed', settings: { open: false, latencyMs: 0, failureRate: 0 } },
} as const;
type Mode = keyof typeof MODES;

function PinPrice() {
  const [assetId, setAssetId] = useState('');
  const [price, setPrice] = useState('');
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState('');
  const send = async (body: Record<string, unknown>) => {
    setError(undefined);
    setDone('');
    try {
      const asset = await api<Asset>('PUT', `/admin/simulation/prices/${encodeURIComponent(assetId.trim().toUpperCase())}`, body);
      setDone(body.pinned === false ? `${asset.id} released: ${usd(asset.price)} now, moving again` : `${asset.id} pinned at ${usd(asset.price)}`);
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
      <Field label="Asset to pin" value={assetId} onInput={setAssetId} hint="A ticker, e.g. AAPL" error={fieldError(error, 'assetId')} />
      <Field label="Price" value={price} onInput={setPrice} inputMode="decimal" hint="US dollars with two decimals, e.g. 101.25" error={fieldError(error, 'price')} required={false} />
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
  const [mode, setMode] = useState<Mode>('open');
  const [error, setError] = useState<unknown>();
  const [settings, setSettings] = useState<ExchangeSettings>();
  const apply = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      setSettings(await api<ExchangeSettings>('PUT', '/admin/simulation/exchange', MODES[mode].settings));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form onSubmit={apply} noValidate aria-label="The exchange">
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
      <p role="status" class="ok">
        {settings && `The exchange is now ${settings.open ? 'open' : 'closed'}: ${settings.latencyMs} ms per call, failure rate ${settings.failureRate}, fills after ${settings.fillDelayMs} ms.`}
      </p>
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
