/**
 * The fee income report: fees charged minus fees refunded, by day (UTC), side and asset type. A
 * refund counts on the day it was made, against the group of the order it refunds. `count` is the
 * number of fees charged in the group; `total` what was charged less what was refunded, exact to
 * the cent. Side and asset type come from the order; null while the order is not known yet.
 */
import { formatMoney, type Cents } from '@simplebank/money';

export type AssetType = 'stock' | 'fund' | 'etf';

/** One aggregate of fee events, as the store sums them per (day, side, asset type, kind). */
export interface FeeSum {
  day: string;
  side: 'buy' | 'sell' | null;
  assetType: AssetType | null;
  kind: 'charged' | 'refunded';
  count: number;
  amount: Cents;
}

export interface FeeReportItem {
  day: string;
  side: 'buy' | 'sell' | null;
  assetType: AssetType | null;
  count: number;
  total: string;
}

const keyOf = (s: Pick<FeeSum, 'day' | 'side' | 'assetType'>) => `${s.day}|${s.side ?? ''}|${s.assetType ?? ''}`;
const compare = (a: string | null, b: string | null) =>
  a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1;

export function feeReport(sums: readonly FeeSum[]): { total: string; items: FeeReportItem[] } {
  const groups = new Map<
    string,
    { day: string; side: FeeSum['side']; assetType: FeeSum['assetType']; count: number; total: Cents }
  >();
  let total = 0n;
  for (const s of sums) {
    const key = keyOf(s);
    const g = groups.get(key) ?? { day: s.day, side: s.side, assetType: s.assetType, count: 0, total: 0n };
    const signed = s.kind === 'charged' ? s.amount : -s.amount;
    if (s.kind === 'charged') g.count += s.count;
    g.total += signed;
    total += signed;
    groups.set(key, g);
  }
  const items = [...groups.values()]
    .sort((a, b) => compare(a.day, b.day) || compare(a.side, b.side) || compare(a.assetType, b.assetType))
    .map((g) => ({ day: g.day, side: g.side, assetType: g.assetType, count: g.count, total: formatMoney(g.total) }));
  return { total: formatMoney(total), items };
}
