/** A small history router: the path is the state; the gateway answers index.html for each of these (WEB_APP_ROUTES in services/gateway/src/http/web-app.ts). */
import { useEffect, useState } from 'preact/hooks';

export const ROUTES = [
  '/signup',
  '/login',
  '/accounts',
  '/trade',
  '/orders',
  '/orders/:orderId',
  '/holdings',
  '/notifications',
  '/profile',
  '/admin',
  '/admin/dead-letters',
  '/operations',
  '/operations/sagas',
  '/operations/sagas/:service/:sagaId',
] as const;

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((l) => l()));

export function navigate(path: string): void {
  if (path === location.pathname + location.search) return;
  history.pushState(null, '', path);
  listeners.forEach((l) => l());
  window.scrollTo(0, 0);
}

/** The current path (and query), re-rendering on navigation. */
export function usePath(): string {
  const [path, setPath] = useState(location.pathname + location.search);
  useEffect(() => {
    const update = () => setPath(location.pathname + location.search);
    listeners.add(update);
    return () => listeners.delete(update);
  }, []);
  return path;
}

/** A link that navigates without a reload (a plain <a href>, so it works from the keyboard and opens in a new tab). */
export function onLink(event: MouseEvent): void {
  const a = event.currentTarget as HTMLAnchorElement | null;
  if (!a || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(a.getAttribute('href') ?? '/');
}
