/** The shell: the navigation landmark, the "Log out" button, and the page for the path. */
import { useEffect, useState } from 'preact/hooks';
import { api, logOut, onSessionChange, restoreSession, signedIn, type Customer } from './api.ts';
import { Accounts } from './accounts.tsx';
import { Admin, DeadLettersPage } from './admin.tsx';
import { LogIn, SignUp } from './auth.tsx';
import { Holdings } from './holdings.tsx';
import { InvestmentDetail, Investments, Strategies } from './invest.tsx';
import { useLive } from './live.ts';
import { Notifications } from './notifications.tsx';
import { Operations } from './operations.tsx';
import { OrderDetail, Orders } from './orders.tsx';
import { Profile } from './profile.tsx';
import { navigate, onLink, usePath } from './router.ts';
import { SagaTimeline, Sagas } from './sagas.tsx';
import { Trade } from './trade.tsx';

const LINKS = [
  ['/accounts', 'Accounts'],
  ['/trade', 'Trade'],
  ['/orders', 'Orders'],
  ['/holdings', 'Holdings'],
  ['/strategies', 'Strategies'],
  ['/notifications', 'Notifications'],
  ['/profile', 'Profile'],
] as const;

/** Shown to admins only (the API refuses the rest anyway: 403). */
const ADMIN_LINKS = [
  ['/admin', 'Admin'],
  ['/operations', 'Operations'],
] as const;

/** Whether the signed-in caller is an admin: GET /v1/me says the role (the token is not read here). */
function useAdmin(session: boolean): boolean {
  const [admin, setAdmin] = useState(false);
  useEffect(() => {
    setAdmin(false);
    if (!session) return;
    let live = true;
    api<Customer>('GET', '/me').then(
      (me) => live && setAdmin(me.role === 'admin'),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [session]);
  return admin;
}

function Content({ path }: { path: string }) {
  const [pathname] = path.split('?') as [string];
  const order = /^\/orders\/([^/]+)$/.exec(pathname);
  if (order) return <OrderDetail orderId={decodeURIComponent(order[1]!)} />;
  const investment = /^\/investments\/([^/]+)$/.exec(pathname);
  if (investment) return <InvestmentDetail investmentId={decodeURIComponent(investment[1]!)} />;
  const saga = /^\/operations\/sagas\/([^/]+)\/([^/]+)$/.exec(pathname);
  if (saga) return <SagaTimeline service={decodeURIComponent(saga[1]!)} sagaId={decodeURIComponent(saga[2]!)} />;
  switch (pathname) {
    case '/trade':
      return <Trade />;
    case '/orders':
      return <Orders />;
    case '/holdings':
      return <Holdings />;
    case '/strategies':
      return <Strategies />;
    case '/investments':
      return <Investments />;
    case '/notifications':
      return <Notifications />;
    case '/profile':
      return <Profile />;
    case '/admin':
      return <Admin />;
    case '/admin/dead-letters':
      return <DeadLettersPage />;
    case '/operations':
      return <Operations />;
    case '/operations/sagas':
      return <Sagas />;
    default:
      return <Accounts />;
  }
}

/** Whether news comes as it happens (the live stream is open), said in words. */
function LiveStatus() {
  const live = useLive();
  return (
    <span role="status" class={live ? 'live on' : 'live'}>
      {live ? 'Live' : 'Connecting…'}
    </span>
  );
}

export function App() {
  const path = usePath();
  const [session, setSession] = useState(signedIn());
  // Until the cookie's session is taken up again (or found to be none), no page is shown.
  const [restoring, setRestoring] = useState(true);
  useEffect(() => onSessionChange(() => setSession(signedIn())), []);
  useEffect(() => {
    void restoreSession().finally(() => setRestoring(false));
  }, []);
  const admin = useAdmin(session);
  const links = admin ? [...LINKS, ...ADMIN_LINKS] : LINKS;
  const pathname = path.split('?')[0]!;
  // Signed out, every page but sign-up is the log-in page.
  useEffect(() => {
    if (!restoring && !session && pathname !== '/signup' && pathname !== '/login') navigate('/login');
  }, [restoring, session, pathname]);
  if (restoring)
    return (
      <main aria-busy="true">
        <p>Loading…</p>
      </main>
    );
  return (
    <>
      <header class="top">
        <a class="brand" href="/" onClick={onLink}>
          SimpleBank
        </a>
        {session && <LiveStatus />}
        {session && (
          <button type="button" class="logout" onClick={() => void logOut().then(() => navigate('/login'))}>
            Log out
          </button>
        )}
      </header>
      {session && (
        <nav aria-label="Main">
          <ul>
            {links.map(([href, label]) => (
              <li key={href}>
                <a
                  href={href}
                  onClick={onLink}
                  aria-current={pathname === href || pathname.startsWith(`${href}/`) ? 'page' : undefined}
                >
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      )}
      <main>{session ? <Content path={path} /> : pathname === '/signup' ? <SignUp /> : <LogIn />}</main>
    </>
  );
}
