/**
 * Orders: the list and one order, whose status changes without a reload: read again when the live
 * stream brings news of it (live.ts), and every few seconds while it is not final, in case the
 * stream is down.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type Order, type Page as List } from './api.ts';
import { useNews } from './live.ts';
import { quantity, usd } from './money.ts';
import { onLink } from './router.ts';
import { ErrorMessage, Page, Status, reasonText, when } from './ui.tsx';

const FINAL = new Set(['filled', 'rejected', 'failed', 'canceled', 'expired']);
/** The fallback read while an order moves: the stream is what makes the page follow at once. */
export const POLL_MS = 5000;

export function Orders() {
  const [orders, setOrders] = useState<Order[]>();
  const [error, setError] = useState<unknown>();
  const [news, setNews] = useState(0);
  useNews((n) => n.event === 'order' && setNews((x) => x + 1), []);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let live = true;
    const load = async () => {
      try {
        const page = await api<List<Order>>('GET', '/orders?limit=50');
        if (!live) return;
        setOrders(page.items);
        // While any order is still moving, the list follows it too.
        if (page.items.some((o) => !FINAL.has(o.status))) timer = setTimeout(load, POLL_MS);
      } catch (err) {
        if (live) setError(err);
      }
    };
    void load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [news]);
  return (
    <Page title="Orders">
      <ErrorMessage error={error} />
      {orders && orders.length === 0 && <p>No orders yet.</p>}
      {orders && orders.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Status</th>
              <th scope="col">Placed</th>
            </tr>
          </thead>
          <tbody>
            {orders.map((o) => (
              <tr key={o.id}>
                <td>
                  <a href={`/orders/${o.id}`} onClick={onLink}>
                    {o.side === 'buy' ? 'Buy' : 'Sell'} {quantity(o.quantity)} {o.assetId}
                  </a>
                </td>
                <td>
                  <Status status={o.status} />
                </td>
                <td>{when(o.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}

export function OrderDetail({ orderId }: { orderId: string }) {
  const [order, setOrder] = useState<Order>();
  const [error, setError] = useState<unknown>();
  const [news, setNews] = useState(0);
  useNews((n) => n.event === 'order' && n.data.orderId === orderId && setNews((x) => x + 1), [orderId]);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let live = true;
    const load = async () => {
      try {
        const next = await api<Order>('GET', `/orders/${encodeURIComponent(orderId)}`);
        if (!live) return;
        setOrder(next);
        if (!FINAL.has(next.status)) timer = setTimeout(load, POLL_MS);
      } catch (err) {
        if (live) setError(err);
      }
    };
    void load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [orderId, news]);
  const title = order
    ? `${order.side === 'buy' ? 'Buy' : 'Sell'} ${quantity(order.quantity)} ${order.assetId}`
    : 'Order';
  return (
    <Page title={title}>
      <ErrorMessage error={error} />
      {order && (
        <>
          <p aria-live="polite">
            Status: <Status status={order.status} />
            {order.reason && <span class="reason"> — {reasonText(order.reason)}</span>}
          </p>
          <dl>
            <dt>Quote</dt>
            <dd>{usd(order.quotePrice)}</dd>
            <dt>Limit price</dt>
            <dd>{usd(order.limitPrice)}</dd>
            <dt>Fee</dt>
            <dd>{usd(order.fee)}</dd>
            <dt>Fill price</dt>
            <dd>{order.fillPrice ? usd(order.fillPrice) : 'Not filled yet'}</dd>
          </dl>
          <h2>History</h2>
          <ol class="history">
            {order.history.map((h, i) => (
              <li key={i}>
                <Status status={h.status} /> {when(h.at)}
                {h.reason ? ` — ${reasonText(h.reason)}` : ''}
              </li>
            ))}
          </ol>
        </>
      )}
      <p>
        <a href="/orders" onClick={onLink}>
          All orders
        </a>
      </p>
    </Page>
  );
}
