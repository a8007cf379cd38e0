/** Nudges the exchange worker when a job changed (after the commit), so it need not wait for its poll. */
const wakers = new Set<() => void>();

export function onWake(fn: () => void): () => void {
  wakers.add(fn);
  return () => wakers.delete(fn);
}

export function wakeWorker(): void {
  for (const w of wakers) w();
}
