/** Holdings per account: a table with one row per asset, and how current its valuation is, said plainly. */
import { useEffect, useState } from 'preact/hooks';
import { api, type Account, type Holdings as AccountHoldings, type Page as List } from './api.ts';
import { quantity, usd } from './money.ts';
import { PriceHistoryChart } from './price-history.tsx';
import { ErrorMessage, Page } from './ui.tsx';

const VALUATION: Record<AccountHoldings['valuation'], string> = {
  live: 'Valued at live prices.',
  stale: 'Prices are stale: the values below use the last known prices, which may be out of date.',
  unavailable: 'Prices are unavailable right now: values cannot be shown.',
};

function AccountHoldingsTable({ account }: { account: Account }) {
  const [holdings, setHoldings] = useState<AccountHoldings>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api<AccountHoldings>('GET', `/accounts/${account.id}/holdings`).then(setHoldings, setError);
  }, [account.id]);
  return (
    <section aria-labelledby={`h-${account.id}`} class="card">
      <h2 id={`h-${account.id}`}>{account.name}</h2>
      <ErrorMessage error={error} />
      {holdings && (
        <>
          <p class={`valuation valuation-${holdings.valuation}`}>{VALUATION[holdings.valuation]}</p>
          {holdings.positions.length === 0 ? (
            <p>No holdings yet.</p>
          ) : (
            // At phone width the table scrolls sideways within its card, not the page.
            <div class="table-scroll">
              <table>
                <caption>Holdings in {account.name}</caption>
                <thead>
                  <tr>
                    <th scope="col">Asset</th>
                    <th scope="col">Quantity</th>
                    <th scope="col">Average cost</th>
                    <th scope="col">Price</th>
                    <th scope="col">Value</th>
                    <th scope="col">Last 15 minutes</th>
                  </tr>
                </thead>
                <tbody>
                  {holdings.positions.map((p) => (
                    <tr key={p.assetId}>
                      <th scope="row">{p.assetId}</th>
                      <td>{quantity(p.quantity)}</td>
                      <td>{usd(p.averageCost)}</td>
                      <td>{p.price ? usd(p.price) : 'Unavailable'}</td>
                      <td>{p.value ? usd(p.value) : 'Unavailable'}</td>
                      <td class="spark">
                        <PriceHistoryChart assetId={p.assetId} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <p>
            Cash available: {usd(holdings.cash.available)}
            {holdings.totalValue && <> · Total value: {usd(holdings.totalValue)}</>}
          </p>
        </>
      )}
    </section>
  );
}

export function Holdings() {
  const [accounts, setAccounts] = useState<Account[]>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api<List<Account>>('GET', '/accounts').then((page) => setAccounts(page.items), setError);
  }, []);
  return (
    <Page title="Holdings">
      <ErrorMessage error={error} />
      {accounts && accounts.length === 0 && <p>No account yet.</p>}
      {accounts?.map((a) => (
        <AccountHoldingsTable key={a.id} account={a} />
      ))}
    </Page>
  );
}
