/** The console's pages follow the running system: read again every 2 s while shown. */
import { useEffect, useState } from 'preact/hooks';

export const REFRESH_MS = 2000;

/** Reads `load` now and every REFRESH_MS until the page goes; a failed read keeps the last answer. */
export function useRefreshing<T>(load: () => Promise<T>, deps: unknown[]): { value: T | undefined; error: unknown; at: Date | undefined } {
  const [state, setState] = useState<{ value: T | undefined; error: unknown; at: Date | undefined }>({ value: undefined, error: undefined, at: undefined });
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const value = await load();
        if (live) setState({ value, error: undefined, at: new Date() });
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

