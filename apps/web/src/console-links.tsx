/** The console's own links (issue 12: "Sagas" and "Dead letters" as links), below the main navigation. */
import { onLink, usePath } from './router.ts';

const CONSOLE = [
  ['/operations', 'Services'],
  ['/operations/sagas', 'Sagas'],
  ['/admin/dead-letters', 'Dead letters'],
] as const;

export function ConsoleLinks() {
  const [pathname] = usePath().split('?') as [string];
  return (
    <nav aria-label="Console" class="console">
      <ul>
        {CONSOLE.map(([href, label]) => (
          <li key={href}>
            <a
              href={href}
              onClick={onLink}
              aria-current={
                pathname === href || (href !== '/operations' && pathname.startsWith(`${href}/`)) ? 'page' : undefined
              }
            >
              {label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
