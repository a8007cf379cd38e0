/**
 * The customer's news as it happens: one Server-Sent Events stream (GET /v1/stream) per signed-in
 * session, shared by every page. Read with `fetch` (EventSource cannot send the Authorization
 * header); reopened after it ends (the access token expired: the next open refreshes it) or fails,
 * 1 s doubling to 15 s. Pages still read the API when they open; the stream tells them when to read
 * again, so a news item missed while reconnecting costs nothing but a moment.
 */
import { useEffect, useState } from 'preact/hooks';
import { onSessionChange, openStream, signedIn } from './api.ts';

export interface News {
  event: 'order' | 'payment';
  data: Record<string, unknown> & { orderId?: string; paymentId?: string; status?: string };
}

type Listener = (news: News) => void;
const listeners = new Set<Listener>();
const connectionListeners = new Set<(live: boolean) => void>();
let connected = false;
let abort: AbortController | undefined;

function setConnected(next: boolean): void {
  if (connected === next) return;
  connected = next;
  for (const l of connectionListeners) l(next);
}

/** Parses the stream's blocks (`event:`/`data:` lines, a blank line between) as they arrive. */
async function read(res: Response, signal: AbortSignal): Promise<void> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  while (!signal.aborted) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const field = (name: string) =>
        block
          .split('\n')
          .find((l) => l.startsWith(`${name}: `))
          ?.slice(name.length + 2);
      const event = field('event');
      const data = field('data');
      if ((event === 'order' || event === 'payment') && data) {
        const news: News = { event, data: JSON.parse(data) as News['data'] };
        for (const l of listeners) l(news);
      }
    }
  }
}

async function run(signal: AbortSignal): Promise<void> {
  let backoffMs = 1000;
  while (!signal.aborted && signedIn()) {
    try {
      const res = await openStream('/stream', signal);
      setConnected(true);
      backoffMs = 1000;
      await read(res, signal);
    } catch {
      // closed, refused or offline: wait, then open again
    }
    setConnected(false);
    if (signal.aborted) return;
    await new Promise((r) => setTimeout(r, backoffMs));
    backoffMs = Math.min(15_000, backoffMs * 2);
  }
}

function follow(): void {
  abort?.abort();
  abort = undefined;
  setConnected(false);
  if (!signedIn()) return;
  abort = new AbortController();
  void run(abort.signal);
}
onSessionChange(follow);

/** Calls `listener` with each news item while the component is shown. */
export function useNews(listener: Listener, deps: unknown[]): void {
  useEffect(() => {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, deps);
}

/** Whether the stream is open now (the header says "Live" then). */
export function useLive(): boolean {
  const [live, setLive] = useState(connected);
  useEffect(() => {
    connectionListeners.add(setLive);
    setLive(connected);
    return () => {
      connectionListeners.delete(setLive);
    };
  }, []);
  return live;
}
