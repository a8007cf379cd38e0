/**
 * Tells the client that placed an order (market) that it filled or was canceled, at the callback
 * URL it gave, so it need not poll. Best effort: a few tries, then given up — the client's own
 * slow follow-up poll finds the change anyway, and the callback carries nothing it must trust (it
 * reads the order again).
 */
import type { Logger } from '@simplebank/chassis';
import type { OrderRow } from './store.ts';

const TRIES = 3;
const TIMEOUT_MS = 2000;

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

async function post(order: OrderRow & { callback_url: string }): Promise<number> {
  const res = await fetch(order.callback_url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(order.callback_token ? { authorization: `Bearer ${order.callback_token}` } : {}),
    },
    body: JSON.stringify({ clientOrderId: order.client_order_id, exchangeOrderId: order.id, status: order.status }),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Sends the callback in the background (never awaited by the caller); a no-op without a URL. */
export function notifyClient(order: OrderRow, log: Logger): void {
  const url = order.callback_url;
  if (!url) return;
  void (async () => {
    let last = '';
    for (let attempt = 1; attempt <= TRIES; attempt++) {
      try {
        const status = await post({ ...order, callback_url: url });
        // 2xx: delivered; any other 4xx: the client refuses it, and would again.
        if (status < 500 && status !== 408 && status !== 429) return;
        last = `HTTP ${status}`;
      } catch (err) {
        last = (err as Error).message;
      }
      if (attempt < TRIES) await wait(100 * 4 ** (attempt - 1));
    }
    log.warn(
      { exchangeOrderId: order.id, clientOrderId: order.client_order_id, reason: last },
      'callback to the client failed; it will find the change by polling',
    );
  })();
}
