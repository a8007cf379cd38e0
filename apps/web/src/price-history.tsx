/**
 * An asset's price over the last 15 minutes (GET /v1/assets/{assetId}/prices), read again while
 * shown. Fifteen minutes rather than the API's default hour: the simulated feed moves every second,
 * and the API's 200 points then come every 4.5 s — a fresh system has a line within a minute.
 */
import { api, type PriceHistory } from './api.ts';
import { LineChart, chartLabel } from './chart.tsx';
import { usd } from './money.ts';
import { useRefreshing } from './refreshing.ts';

const PERIOD_MS = 15 * 60_000;

export function PriceHistoryChart({ assetId }: { assetId: string }) {
  const { value: history, error } = useRefreshing(
    () =>
      api<PriceHistory>(
        'GET',
        `/assets/${encodeURIComponent(assetId)}/prices?from=${encodeURIComponent(new Date(Date.now() - PERIOD_MS).toISOString())}`,
      ),
    [assetId],
  );
  if (!history) return error ? <p class="hint">The price history is unavailable right now.</p> : null;
  const points = history.points.map((p) => ({ x: Date.parse(p.at), y: p.price }));
  return (
    <LineChart
      label={chartLabel(`${assetId} price`, points)}
      points={points}
      format={usd}
      empty={`No ${assetId} prices in the last 15 minutes yet.`}
    />
  );
}
