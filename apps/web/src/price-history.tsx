/** An asset's price over the last hour (GET /v1/assets/{assetId}/prices), read again while shown. */
import { api, type PriceHistory } from './api.ts';
import { LineChart, chartLabel } from './chart.tsx';
import { usd } from './money.ts';
import { useRefreshing } from './refreshing.ts';

export function PriceHistoryChart({ assetId }: { assetId: string }) {
  const { value: history, error } = useRefreshing(() => api<PriceHistory>('GET', `/assets/${encodeURIComponent(assetId)}/prices`), [assetId]);
  if (!history) return error ? <p class="hint">The price history is unavailable right now.</p> : null;
  const points = history.points.map((p) => ({ x: Date.parse(p.at), y: p.price }));
  return <LineChart label={chartLabel(`${assetId} price`, points)} points={points} format={usd} empty={`No ${assetId} prices in the last hour yet.`} />;
}
