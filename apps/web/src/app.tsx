/** The shell: the navigation landmark, the "Log out" button, and the page for the path. */
import { useEffect, useState } from 'preact/hooks';
import { logOut, onSessionChange, signedIn } from './api.ts';
import { Accounts } from './accounts.tsx';
import { LogIn, SignUp } from './auth.tsx';
import { Holdings } from './holdings.tsx';
import { Notifications } from './notifications.tsx';
import { OrderDetail, Orders } from './orders.tsx';
import { Profile } from './profile.tsx';
import { navigate, onLink, usePath } from './router.ts';
import { Trade } from './trade.tsx';

const LINKS = [
  ['/accounts', 'Accounts'],
  ['/trade', 'Trade'],
  ['/orders', 'Orders'],
  ['/holdings', 'Holdings'],
  ['/notifications', 'Notifications'],
  ['/profile', 'Profile'],
] as const;

function Content({ path }: { path: string }) {
  const [pathname] = path.split('?') as [string];
  const order = /^\/orders\/([^/]+)$/.exec(pathname);
  if (order) return <OrderDetail orderId={decodeURIComponent(order[1]!)} />;
  switch (pathname) {
    case '/trade':
      return <Trade />;
    case '/orders':
      return <Orders />;
    case '/holdings':
      return <Holdings />;
    case '/notifications':
      return <Notifications />;
    case '/profile':
      return <Profile />;
    default:
      return <Accounts />;
  }
}

export function App() {
  const path = usePath();
  const [session, setSession] = useState(signedIn());
  useEffect(() => onSessionChange(() => setSession(signedIn())), []);
  const pathname = path.split('?')[0]!;
  // Signed out, every page but sign-up is the log-in page (the tokens are in memory: a reload signs out).
  useEffect(() => {
    if (!session && pathname !== '/signup' && pathname !== '/login') navigate('/login');
  }, [session, pathname]);
  return (
    <>
      <header class="top">
        <a class="brand" href="/" onClick={onLink}>
          SimpleBank
        </a>
        {session && (
          <button type="button" class="logout" onClick={() => void logOut().then(() => navigate('/login'))}>
            Log out
          </button>
        )}
      </header>
      {session && (
        <nav aria-label="Main">
          <ul>
            {LINKS.map(([href, label]) => (
              <li key={href}>
                <a href={href} onClick={onLink} aria-current={pathname === href || pathname.startsWith(`${href}/`) ? 'page' : undefined}>
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
