/**
 * Wakes the fill worker when an order was placed open or the settings changed, so that it sleeps
 * until the next order is due instead of polling. In process: placements and settings changes are
 * served by the same process as its worker (another instance's worker is woken by its own).
 */
const wakers = new Set<() => void>();

export function onFillWake(fn: () => void): () => void {
  wakers.add(fn);
  return () => wakers.delete(fn);
}

export function wakeFills(): void {
  for (const w of wakers) w();
}
