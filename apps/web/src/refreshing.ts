/** The console's pages follow the running system: read again every 2 s while shown. */
import { useEffect, useState } from 'preact/hooks';

export const REFRESH_MS = 2000;

/**
 * Reads `load` now and every REFRESH_MS until the page goes; a failed read keeps the last answer.
 * `keep` folds each answer into what is shown (default: the answer itself; the golden signals keep a
 * window of answers).
 */
export function useRefreshing<T, S = T>(
  load: () => Promise<T>,
  deps: unknown[],
  keep: (shown: S | undefined, answer: T) => S = (_shown, answer) => answer as unknown as S,
): { value: S | undefined; error: unknown; at: Date | undefined } {
  const [state, setState] = useState<{ value: S | undefined; error: unknown; at: Date | undefined }>({
    value: undefined,
    error: undefined,
    at: undefined,
  });
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const answer = await load();
        if (live) setState((s) => ({ value: keep(s.value, answer), error: undefined, at: new Date() }));
      } catch (error) {
        if (live) setState((s) => ({ ...s, error }));
      }
      if (live) timer = setTimeout(tick, REFRESH_MS);
    };
    void tick();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, deps);
  return state;
}
