/** Trade: an account, an asset found by search, a quantity and a side; a review (quote, limit, fee), then the order. */
import { MoneyFormatError } from '@simplebank/money';
import { useEffect, useId, useState } from 'preact/hooks';
import {
  api,
  idempotencyKey,
  type Account,
  type Asset,
  type FeeSchedule,
  type Order,
  type Page as List,
} from './api.ts';
import { review, usd, type Review } from './money.ts';
import { PriceHistoryChart } from './price-history.tsx';
import { navigate } from './router.ts';
import { ErrorMessage, Field, Page, fieldError } from './ui.tsx';

/** The asset search: a combobox whose results are options (ARIA 1.2 pattern; arrows and Enter pick one). */
function AssetSearch({ value, onPick }: { value: Asset | undefined; onPick: (asset: Asset | undefined) => void }) {
  const id = useId();
  const [text, setText] = useState(value ? value.id : '');
  const [results, setResults] = useState<Asset[]>([]);
  const [active, setActive] = useState(0);
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const q = text.trim();
    if (q === '' || (value && q === value.id)) return setResults([]);
    let current = true;
    const timer = setTimeout(() => {
      api<List<Asset>>('GET', `/assets?q=${encodeURIComponent(q)}&limit=8`)
        .then((page) => current && (setResults(page.items), setActive(0), setOpen(true)))
        .catch(() => current && setResults([]));
    }, 150);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [text]);
  const pick = (asset: Asset) => {
    onPick(asset);
    setText(asset.id);
    setOpen(false);
  };
  const onKey = (e: KeyboardEvent) => {
    if (!open || results.length === 0) return;
    if (e.key === 'ArrowDown') setActive((active + 1) % results.length);
    else if (e.key === 'ArrowUp') setActive((active - 1 + results.length) % results.length);
    else if (e.key === 'Enter') pick(results[active]!);
    else if (e.key === 'Escape') setOpen(false);
    else return;
    e.preventDefault();
  };
  const expanded = open && results.length > 0;
  return (
    <div class="field combo">
      <label for={id}>Asset</label>
      <input
        id={id}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={expanded}
        aria-controls={`${id}-list`}
        aria-activedescendant={expanded ? `${id}-${active}` : undefined}
        autoComplete="off"
        value={text}
        placeholder="Ticker or name, e.g. AAPL"
        onInput={(e) => {
          setText((e.currentTarget as HTMLInputElement).value);
          onPick(undefined);
        }}
        onKeyDown={onKey}
      />
      <ul id={`${id}-list`} role="listbox" aria-label="Assets found" hidden={!expanded}>
        {results.map((asset, i) => (
          <li
            id={`${id}-${i}`}
            key={asset.id}
            role="option"
            aria-selected={i === active}
            class={i === active ? 'active' : ''}
            onMouseDown={(e) => (e.preventDefault(), pick(asset))}
          >
            {asset.id} — {asset.name} <span class="price">{usd(asset.price)}</span>
          </li>
        ))}
      </ul>
      {value && (
        <>
          <small class="hint">
            {value.name}: {usd(value.price)}
          </small>
          <PriceHistoryChart assetId={value.id} />
        </>
      )}
    </div>
  );
}

export function Trade() {
  const [accounts, setAccounts] = useState<Account[]>([]);
  const [accountId, setAccountId] = useState('');
  const [asset, setAsset] = useState<Asset>();
  const [qty, setQty] = useState('');
  const [side, setSide] = useState<'buy' | 'sell'>('buy');
  const [estimate, setEstimate] = useState<Review>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const accountField = useId();
  useEffect(() => {
    api<List<Account>>('GET', '/accounts')
      .then((page) => {
        setAccounts(page.items);
        if (page.items[0]) setAccountId(page.items[0].id);
      })
      .catch(setError);
  }, []);
  // Any change invalidates the review: the customer places only what they reviewed.
  useEffect(() => setEstimate(undefined), [accountId, asset, qty, side]);

  const onReview = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    if (!asset) return setError(new Error('Choose an asset from the search results'));
    try {
      // The latest quote and the fee schedule now, as the order will be priced.
      const [fresh, schedule] = await Promise.all([
        api<Asset>('GET', `/assets/${encodeURIComponent(asset.id)}`),
        api<FeeSchedule>('GET', '/fees/schedule'),
      ]);
      setEstimate(review(side, qty.trim(), fresh.price, schedule));
    } catch (err) {
      setError(
        err instanceof MoneyFormatError ? new Error('Quantity: a positive number with up to six decimals') : err,
      );
    }
  };
  const place = async () => {
    if (!asset) return;
    setBusy(true);
    setError(undefined);
    try {
      const order = await api<Order>(
        'POST',
        '/orders',
        { accountId, assetId: asset.id, side, quantity: qty.trim() },
        idempotencyKey(),
      );
      navigate(`/orders/${order.id}`);
    } catch (err) {
      setError(err);
      setEstimate(undefined);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Page title="Trade">
      {accounts.length === 0 && <p>Open an account and deposit first.</p>}
      <form onSubmit={onReview} noValidate aria-label="Order">
        {accounts.length > 1 && (
          <div class="field">
            <label for={accountField}>Account</label>
            <select
              id={accountField}
              value={accountId}
              onChange={(e) => setAccountId((e.currentTarget as HTMLSelectElement).value)}
            >
              {accounts.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name} ({usd(a.cash.available)} available)
                </option>
              ))}
            </select>
          </div>
        )}
        <AssetSearch value={asset} onPick={setAsset} />
        <Field
          label="Quantity"
          value={qty}
          onInput={setQty}
          inputMode="decimal"
          hint="Up to six decimals"
          error={fieldError(error, 'quantity')}
        />
        <fieldset class="side">
          <legend>Side</legend>
          {(['buy', 'sell'] as const).map((s) => (
            <label key={s}>
              <input type="radio" name="side" value={s} checked={side === s} onChange={() => setSide(s)} />
              {s === 'buy' ? 'Buy' : 'Sell'}
            </label>
          ))}
        </fieldset>
        <ErrorMessage error={error} />
        <button type="submit" disabled={accounts.length === 0}>
          Review order
        </button>
      </form>
      {estimate && asset && (
        <section aria-label="Review" class="card review">
          <h2>
            {side === 'buy' ? 'Buy' : 'Sell'} {qty} {asset.id} at the market
          </h2>
          <dl>
            <dt>Quote</dt>
            <dd>{usd(estimate.quote)}</dd>
            <dt>Limit price</dt>
            <dd>{usd(estimate.limitPrice)}</dd>
            <dt>Value at the quote</dt>
            <dd>{usd(estimate.notional)}</dd>
            <dt>Fee</dt>
            <dd>{usd(estimate.fee)}</dd>
            <dt>{side === 'buy' ? 'At most, with the fee' : 'At least, after the fee'}</dt>
            <dd>{usd(estimate.bound)}</dd>
          </dl>
          <p class="hint">
            The limit protects you: the order fills at the exchange's price, never {side === 'buy' ? 'above' : 'below'}{' '}
            the limit.
          </p>
          <button type="button" onClick={place} disabled={busy}>
            Place order
          </button>
        </section>
      )}
    </Page>
  );
}
